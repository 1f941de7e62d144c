select nura.install_trigger('auth.users', 'tg_auth_users__sync_bulk_insert', $$
    create trigger tg_auth_users__sync_bulk_insert
        after insert on auth.users
        referencing new table as new_auth_users
        for each statement
        execute function nura.tg_auth_users__sync_bulk_insert()
$$);
