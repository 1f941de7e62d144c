-- For reconcile and the backfill: creates the public.users rows of a batch of auth users who
-- have none (their auth rows locked by the caller), set-based; if that fails, user by user, so one
-- user's failure (logged) holds up no other. Returns how many it created or repaired.
create or replace function nura.create_missing_users(p_batch auth.users[])
returns integer
language plpgsql
set search_path = ''
as $$
begin
    return nura.create_users_from_auth(p_batch, 'reconcile');
exception when others then
    if nura.is_server_failure(sqlstate) then
        raise;
    end if;
    return (select count(*) from unnest(p_batch) a where nura.resync_auth_user(a.id, 'reconcile'));
end
$$;
comment on function nura.create_missing_users(auth.users[]) is 'Creates missing users set-based, else one by one.';
revoke all on function nura.create_missing_users(auth.users[]) from public;
