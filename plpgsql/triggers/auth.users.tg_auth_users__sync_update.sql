-- Fires only when a column nura.auth_user_fields reads changes (for user metadata: only the keys
-- it reads), so Auth's role, token, app-metadata and other metadata writes cost nothing.
-- Constraint triggers cannot be created "or replace": this one is created where missing. A
-- release that changes its definition drops it in a migration.
do $$
begin
    if not exists (select from pg_catalog.pg_trigger
                   where tgrelid = 'auth.users'::regclass and tgname = 'tg_auth_users__sync_update') then
        create constraint trigger tg_auth_users__sync_update
            after update on auth.users
            deferrable initially deferred
            for each row
            when (old.email is distinct from new.email
                  or old.phone is distinct from new.phone
                  or old.email_confirmed_at is distinct from new.email_confirmed_at
                  or old.phone_confirmed_at is distinct from new.phone_confirmed_at
                  or old.last_sign_in_at is distinct from new.last_sign_in_at
                  or old.deleted_at is distinct from new.deleted_at
                  or old.created_at is distinct from new.created_at
                  or old.raw_user_meta_data -> 'full_name' is distinct from new.raw_user_meta_data -> 'full_name'
                  or old.raw_user_meta_data -> 'name' is distinct from new.raw_user_meta_data -> 'name'
                  or old.raw_user_meta_data -> 'avatar_url' is distinct from new.raw_user_meta_data -> 'avatar_url'
                  or old.raw_user_meta_data -> 'picture' is distinct from new.raw_user_meta_data -> 'picture')
            execute function nura.tg_auth_users__sync();
    end if;
end
$$;
