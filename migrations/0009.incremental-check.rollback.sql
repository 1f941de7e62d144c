drop trigger if exists tg_users__count_insert on public.users;
drop trigger if exists tg_users__count_update on public.users;
drop trigger if exists tg_users__count_delete on public.users;
drop trigger if exists tg_users__count_truncate on public.users;
-- The sync's totals never go down: the deleted rows the count had folded in go back to
-- nura.sync_log_removed, which the release before reads with the log itself.
insert into nura.sync_log_removed (source, success, removed, last_at)
select c.source, c.success, c.logged - coalesce(l.still, 0), coalesce(c.last_at, now())
from nura.sync_log_counts c
left join (select source, success, count(*) as still from public.user_sync_logs
           where id <= (select counted_through from nura.check_state)
           group by source, success) l using (source, success)
where c.logged > coalesce(l.still, 0);
drop table nura.user_count_changes;
drop table nura.sync_log_counts;
drop table nura.check_state;
drop table nura.drift_problems;
