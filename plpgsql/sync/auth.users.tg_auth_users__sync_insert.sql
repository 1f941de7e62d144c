select nura.install_trigger('auth.users', 'tg_auth_users__sync_insert', $$
    create constraint trigger tg_auth_users__sync_insert
        after insert on auth.users
        deferrable initially deferred
        for each row
        execute function nura.tg_auth_users__sync()
$$);
