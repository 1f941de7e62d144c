drop trigger if exists tg_users__count_insert on public.users;
drop trigger if exists tg_users__count_update on public.users;
drop trigger if exists tg_users__count_delete on public.users;
drop trigger if exists tg_users__count_truncate on public.users;
drop table nura.user_count_changes;
drop table nura.sync_log_counts;
drop table nura.check_state;
drop table nura.drift_problems;
