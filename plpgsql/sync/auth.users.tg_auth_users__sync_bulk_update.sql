select nura.install_trigger('auth.users', 'tg_auth_users__sync_bulk_update', $$
    create trigger tg_auth_users__sync_bulk_update
        after update on auth.users
        referencing old table as old_auth_users new table as new_auth_users
        for each statement
        execute function nura.tg_auth_users__sync_bulk_update()
$$);
