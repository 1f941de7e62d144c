-- One event per statement, not per row: the WHEN clause (evaluated as each row is written, no
-- function called) queues the event of a statement's first row only, noting the statement's
-- command id (cmin) in a setting of the transaction; the rest of a multi-row statement is synced
-- by tg_auth_users__sync_bulk_update at the statement's end. It names no column of auth.users
-- (a column it named would depend on the trigger, and a Supabase Auth migration changing that
-- column's type would fail): the function filters what changed.
select nura.install_trigger('auth.users', 'tg_auth_users__sync_update', $$
    create constraint trigger tg_auth_users__sync_update
        after update on auth.users
        deferrable initially deferred
        for each row
        when (pg_catalog.current_setting('nura.update_event_of', true) is distinct from new.cmin::text
              and pg_catalog.set_config('nura.update_event_of', new.cmin::text, true) is not null)
        execute function nura.tg_auth_users__sync()
$$);
