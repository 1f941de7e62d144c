-- The trigger as the release before this one defines it: every row that moves between counts.
drop trigger if exists tg_users__count_update on public.users;
create trigger tg_users__count_update
    after update on public.users
    for each row
    when (old.origin is distinct from new.origin or (old.deleted_at is null) <> (new.deleted_at is null))
    execute function nura.tg_users__count();
