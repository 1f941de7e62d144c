select nura.install_trigger('auth.users', 'tg_auth_users__sync_delete', $$
    create trigger tg_auth_users__sync_delete
        after delete on auth.users
        referencing old table as old_auth_users
        for each statement
        execute function nura.tg_auth_users__sync_delete()
$$);
