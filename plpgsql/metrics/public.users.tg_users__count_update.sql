-- Row by row, but only for the rare write that moves a user between counts: the WHEN clause is
-- evaluated without calling the function, so a sign-in or a profile edit costs next to nothing.
select nura.install_trigger('public.users', 'tg_users__count_update', $$
    create trigger tg_users__count_update
        after update on public.users
        for each row
        when (old.origin is distinct from new.origin or (old.deleted_at is null) <> (new.deleted_at is null))
        execute function nura.tg_users__count()
$$);
