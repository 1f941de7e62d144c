-- Row by row, but only for the rare write that moves a user between counts: the WHEN clause is
-- evaluated without calling the function, so a sign-in or a profile edit costs next to nothing.
-- A deletion counts its users itself, one row per statement (nura.tombstone_users), and says so
-- in a setting for the length of that statement.
select nura.install_trigger('public.users', 'tg_users__count_update', $$
    create trigger tg_users__count_update
        after update on public.users
        for each row
        when ((old.origin is distinct from new.origin or (old.deleted_at is null) <> (new.deleted_at is null))
              and current_setting('nura.tombstones_counted', true) is distinct from 'on')
        execute function nura.tg_users__count()
$$);
