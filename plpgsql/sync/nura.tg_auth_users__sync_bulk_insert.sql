-- AFTER INSERT ON auth.users, once per statement: a statement inserting many users (an import)
-- is synced set-based here, so its deferred per-row events skip those users. A single-row
-- INSERT, Auth's own, is left to the deferred trigger, which sees the whole signup at once.
-- If the set-based sync fails, nothing is marked and the per-row events sync each user alone.
create or replace function nura.tg_auth_users__sync_bulk_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_logs_after bigint;
begin
    perform 'PRAGMA:TABLE: new_auth_users (like auth.users)';  -- the statement's transition table, for plpgsql_check
    if (select count(*) from new_auth_users) < 2 then
        return null;
    end if;
    -- every log row written from here on has a greater id
    v_logs_after := (select case when is_called then last_value else last_value - 1 end
                     from public.user_sync_logs_id_seq);
    begin
        perform 'PRAGMA:DISABLE:CHECK';  -- the transition table's rows are auth.users rows; its stand-in's are not
        perform nura.create_users_from_auth(array(select n::auth.users from new_auth_users n), 'supabase_auth');
        perform 'PRAGMA:ENABLE:CHECK';
        if coalesce(current_setting('nura.bulk_insert_logs_after', true), '') = '' then
            perform set_config('nura.bulk_insert_logs_after', v_logs_after::text, true);
        end if;
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;
    end;
    return null;
end
$$;
comment on function nura.tg_auth_users__sync_bulk_insert() is 'Trigger: syncs a multi-row INSERT into auth.users set-based.';
revoke all on function nura.tg_auth_users__sync_bulk_insert() from public;
