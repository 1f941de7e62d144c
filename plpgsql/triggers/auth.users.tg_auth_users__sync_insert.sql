-- Constraint triggers cannot be created "or replace": this one is created where missing. A
-- release that changes its definition drops it in a migration.
do $$
begin
    if not exists (select from pg_catalog.pg_trigger
                   where tgrelid = 'auth.users'::regclass and tgname = 'tg_auth_users__sync_insert') then
        create constraint trigger tg_auth_users__sync_insert
            after insert on auth.users
            deferrable initially deferred
            for each row
            execute function nura.tg_auth_users__sync();
    end if;
end
$$;
