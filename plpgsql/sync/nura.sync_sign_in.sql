-- The sync of a sign-in, Auth's most frequent change: an UPDATE of auth.users whose only change
-- to a mirrored column is last_sign_in_at (from p_before to p_after). Two writes, what the
-- general path would make of it: the user's last_sign_in_at and one log row. Returns false,
-- having done nothing, when public.users does not hold what Auth held before or the user is not
-- simply an account of Auth's there (missing, deleted, a legacy person's row, first synced by a
-- webhook): then the general path syncs the whole write. An error of its own is undone alone and
-- logged, as nura.sync_auth_user does, so the sign-in goes through.
create or replace function nura.sync_sign_in(p_user_id uuid, p_before timestamptz, p_after timestamptz)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
    v_before timestamptz;
begin
    -- Mostly public.users holds what Auth held: one UPDATE, its condition checked on the row's
    -- latest version, so the value it replaced is known without a lock of its own.
    update public.users u set last_sign_in_at = p_after, updated_at = now()
     where u.id = p_user_id and u.deleted_at is null and u.origin = 'supabase_auth'
       and u.last_sign_in_at is not distinct from p_before;
    if not found then
        -- Nothing left to do if this transaction's general path synced this very value already;
        -- otherwise (a later value synced, a drifted row, not simply Auth's account) the general
        -- path decides, by the row version and the row as it stands at commit.
        select u.last_sign_in_at into v_before
          from public.users u
         where u.id = p_user_id and u.deleted_at is null and u.origin = 'supabase_auth';
        return found and v_before is not distinct from p_after;
    end if;
    perform nura.write_sync_log(p_user_id, 'update', 'supabase_auth', jsonb_build_object('last_sign_in_at', p_before),
                                jsonb_build_object('last_sign_in_at', p_after));
    return true;
exception when others then
    if nura.is_server_failure(sqlstate) then
        raise;
    end if;
    perform nura.log_sync_failure(p_user_id, 'update', 'supabase_auth', sqlstate, sqlerrm, '{"last_sign_in_at": null}');
    return true;
end
$$;
comment on function nura.sync_sign_in(uuid, timestamptz, timestamptz) is 'Syncs an auth write that changed only last_sign_in_at; false when the general path must.';
revoke all on function nura.sync_sign_in(uuid, timestamptz, timestamptz) from public;
