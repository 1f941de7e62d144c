-- Repairs what nura.check_consistency() reports, in one call, and returns how many users it
-- repaired: missing users are created set-based, in batches walked by id (each user is visited
-- once, so one that keeps failing cannot hold the rest up); the stale, failed and orphaned
-- ones are repaired by nura.repair_users (the stale set-based, the others one by one);
-- adoptions of legacy people a foreign key held up are tried again. Rows that never came from auth.users are not looked at.
-- One transaction that reads every user: `nura-users reconcile` and nura.run_reconcile() do
-- the same in short transactions (nura.backfill_users, nura.check_all, nura.reconcile_batch).
create or replace function nura.reconcile()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_batch auth.users[];
    v_last uuid := '00000000-0000-0000-0000-000000000000'::uuid;
    v_repaired integer := 0;
    v_drifted uuid[];
begin
    if to_regclass('nura.drift_problems') is not null then
        -- what nura.repair_users records is recorded under this lock: taken before any row
        perform pg_catalog.pg_advisory_xact_lock(nura.check_lock());
    end if;
    -- Hold the missing users' auth rows before creating any of their rows: a hard or soft delete
    -- of one then waits for us instead of slipping between read and insert (and then tombstones
    -- the row we made), and since we take these locks before holding anything else, we never
    -- wait on a purge while it waits on us.
    perform from auth.users a
    where a.deleted_at is null and not exists (select from public.users u where u.id = a.id)
    for no key update of a;
    loop
        select array_agg(s.a order by (s.a).id) into v_batch
        from (select a from auth.users a
              where a.id > v_last and a.deleted_at is null
                and (select u.id from public.users u where u.id = a.id) is null  -- probed, never hashed whole per batch
              order by a.id
              limit 5000
              for no key update of a) s;  -- held already, but for users who signed up since
        exit when v_batch is null;
        v_last := v_batch[cardinality(v_batch)].id;
        v_repaired := v_repaired + nura.create_missing_users(v_batch);
    end loop;

    v_drifted := array(select distinct c.user_id from nura.check_consistency() c
                       where c.problem in ('stale', 'failed', 'orphaned') order by 1);
    for v_from in 1..coalesce(cardinality(v_drifted), 0) by 1000 loop  -- each user_problems() call a short list
        v_repaired := v_repaired + nura.repair_users(v_drifted[v_from:v_from + 999]);
    end loop;
    return v_repaired + nura.retry_blocked_adoptions();
end
$$;
comment on function nura.reconcile() is 'Repairs drift between auth.users and public.users; returns the users repaired.';
revoke all on function nura.reconcile() from public;
grant execute on function nura.reconcile() to nura_service, service_role;
