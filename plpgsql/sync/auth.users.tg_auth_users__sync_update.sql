-- No WHEN clause: it would make the columns it names depend on the trigger, and then a Supabase
-- Auth migration changing one of their types would fail. The function filters instead.
select nura.install_trigger('auth.users', 'tg_auth_users__sync_update', $$
    create constraint trigger tg_auth_users__sync_update
        after update on auth.users
        deferrable initially deferred
        for each row
        execute function nura.tg_auth_users__sync()
$$);
