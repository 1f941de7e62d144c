-- One batch of reconcile's repairs: of the users the last full check and the incremental ones
-- since have recorded as drifted (nura.drift_problems), the next p_limit after p_after by id
-- are repaired as they are now (nura.repair_users) in one short transaction. Returns the last id
-- visited (null past the end, where the adoptions a foreign key held up are tried again) and
-- how many it repaired, so the caller walks the problems batch by batch and reads no one else
-- (`nura-users reconcile` records a full check first, for the drift no log row shows).
create or replace function nura.reconcile_batch(p_after uuid, p_limit integer)
returns table (last_id uuid, repaired integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_users uuid[];
begin
    if p_limit is null or p_limit not between 1 and 10000 then
        perform nura.raise_error('PT400', 'the batch size must be from 1 to 10000 users');
    end if;
    if to_regclass('nura.drift_problems') is null then  -- rolled back past its migration: nothing is recorded
        last_id := null;
        repaired := nura.reconcile();
        return next;
        return;
    end if;
    v_users := array(
        select distinct d.user_id from nura.drift_problems d
        where d.user_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
        order by d.user_id
        limit p_limit);
    last_id := v_users[cardinality(v_users)];
    repaired := nura.repair_users(v_users);
    if last_id is null then  -- past the end: the adoptions a foreign key held up
        repaired := repaired + nura.retry_blocked_adoptions();
    end if;
    return next;
end
$$;
comment on function nura.reconcile_batch(uuid, integer) is 'Service API: repairs one batch of the users recorded as drifted, walked by id.';
revoke all on function nura.reconcile_batch(uuid, integer) from public;
grant execute on function nura.reconcile_batch(uuid, integer) to nura_service, service_role;
