-- AFTER DELETE ON auth.users, once per statement: tombstones the users set-based, so a purge of
-- thousands of anonymous users costs one statement; on failure each row is retried alone.
create or replace function nura.tg_auth_users__sync_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_row auth.users;
begin
    perform 'PRAGMA:TABLE: old_auth_users (like auth.users)';  -- the statement's transition table, for plpgsql_check
    begin
        perform nura.tombstone_users(array(select o.id from old_auth_users o), 'supabase_auth');
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;
        for v_row in select * from old_auth_users loop
            perform nura.sync_auth_user(v_row, null, 'supabase_auth');
        end loop;
    end;
    return null;
end
$$;
comment on function nura.tg_auth_users__sync_delete() is 'Trigger: tombstones deleted auth users in public.users.';
revoke all on function nura.tg_auth_users__sync_delete() from public;
