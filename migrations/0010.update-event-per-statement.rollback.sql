-- The trigger as the releases before this one define it: an event for every row.
drop trigger if exists tg_auth_users__sync_update on auth.users;
create constraint trigger tg_auth_users__sync_update
    after update on auth.users
    deferrable initially deferred
    for each row
    execute function nura.tg_auth_users__sync();
