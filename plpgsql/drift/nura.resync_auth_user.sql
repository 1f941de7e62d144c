-- Re-applies one user's auth row as it is now, for reconcile: locks the public.users row first
-- and only then reads auth.users, so an auth write committing meanwhile either is seen here or
-- waits and applies its change after ours; an image read earlier can never overwrite a newer one.
-- p_only limits the fields applied (see nura.apply_auth_user). Isolated like the triggers' sync:
-- an error of its own is logged with success = false and reported as false, never raised.
create or replace function nura.resync_auth_user(p_user_id uuid, p_source text, p_only text[] default null)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
    v_auth auth.users;
    v_tombstone boolean;
begin
    select u.deleted_at is not null into v_tombstone from public.users u where u.id = p_user_id for update;
    select * into v_auth from auth.users a where a.id = p_user_id;
    if v_auth.id is null or v_auth.deleted_at is not null then
        perform nura.tombstone_users(array[p_user_id], p_source);
    else
        -- bringing back a wrongly deleted user takes the whole row
        perform nura.apply_auth_user(null, v_auth, p_source, case when v_tombstone then null else p_only end);
    end if;
    return true;
exception when others then
    if nura.is_server_failure(sqlstate) then
        raise;
    end if;
    perform nura.log_sync_failure(p_user_id, 'reconcile', p_source, sqlstate, sqlerrm,
                                     (select jsonb_object_agg(f, null) from unnest(p_only) f));
    return false;
end
$$;
comment on function nura.resync_auth_user(uuid, text, text[]) is 'Re-applies a user''s current auth row under the user''s lock; never raises.';
revoke all on function nura.resync_auth_user(uuid, text, text[]) from public;
