-- For reconcile: repairs the drift of the users named, as it is now (nura.user_problems):
-- - missing users are created set-based (nura.create_missing_users), their auth rows locked
--   first, so a hard or soft delete of one waits for us instead of slipping between read and
--   insert; one that Auth is writing right now is skipped (its own sync creates it);
-- - stale ones get their auth-owned fields, set-based (nura.repair_stale_users), or the whole
--   row if they were wrongly deleted;
-- - failed ones get what the failed auth writes changed (the whole row after a failed create),
--   except profile fields written since (the last write wins), so a repair never reverts an
--   edit the failed write did not touch;
-- - orphans are tombstoned.
-- The others are repaired each alone, and so are the stale ones if their set-based repair fails
-- or leaves them (deleted since): one that fails is logged (source reconcile) and the rest go on.
-- What is left of their drift is recorded for the incremental check. Returns how many it repaired.
create or replace function nura.repair_users(p_user_ids uuid[])
returns integer
language plpgsql
set search_path = ''
-- each user is looked up by key: parallel workers cost more to start than the lookups (a batch
-- of 1,000 checked in 25 ms alone, 46 to 76 ms with workers)
set max_parallel_workers_per_gather = 0
as $$
declare
    v_auth_owned constant text[] := '{email,email_confirmed_at,phone_confirmed_at,last_sign_in_at}'::text[];
    -- the fields nura.repair_stale_users writes: a user stale in any other (a deletion state
    -- among them) is repaired alone
    v_set_based constant jsonb := '["email", "email_confirmed_at", "phone_confirmed_at", "last_sign_in_at"]'::jsonb;
    v_missing auth.users[];
    v_drifted uuid[];
    v_failed_logs bigint[];
    v_live_and_stale boolean[];
    v_stale uuid[] := '{}'::uuid[];
    v_done uuid[];
    v_repaired integer := 0;
    v_drift record;
    v_only text[];
    v_recording constant boolean := to_regclass('nura.drift_problems') is not null;  -- not rolled back past it
begin
    if coalesce(cardinality(p_user_ids), 0) = 0 then
        return 0;
    end if;
    if v_recording then
        -- what is left is recorded as the checks record, one at a time; taken before any user's
        -- row, so Auth never waits on a user of ours while a full check holds the lock
        perform pg_catalog.pg_advisory_xact_lock(nura.check_lock());
    end if;
    select array_agg(s.a order by (s.a).id) into v_missing
      from (select a from auth.users a
            where a.id = any(p_user_ids) and a.deleted_at is null
              and not exists (select from public.users u where u.id = a.id)
            order by a.id
            for no key update of a skip locked) s;
    if v_missing is not null then
        v_repaired := nura.create_missing_users(v_missing);
    end if;

    select array_agg(d.user_id order by d.user_id), array_agg(d.failed_log order by d.user_id),
           array_agg(d.live_and_stale order by d.user_id)
      into v_drifted, v_failed_logs, v_live_and_stale
      from (select c.user_id, max((c.detail ->> 'log_id')::bigint) as failed_log,
                   bool_and(c.problem = 'stale' and (c.detail -> 'fields') <@ v_set_based) as live_and_stale
            from nura.user_problems(p_user_ids) c
            where c.problem in ('stale', 'failed', 'orphaned')
            group by c.user_id) d;
    -- Their rows locked at once, in id order, before any is repaired (the set-based repair
    -- below comes last): a purge, which locks in id order too, never waits for us while we wait
    -- for it.
    perform from public.users u where u.id = any(v_drifted) order by u.id for update;

    for v_drift in
        select d.* from unnest(v_drifted, v_failed_logs, v_live_and_stale) as d(user_id, failed_log, live_and_stale)
    loop
        if v_drift.live_and_stale then  -- repaired together, below
            v_stale := v_stale || v_drift.user_id;
            continue;
        end if;
        v_only := v_auth_owned;
        if v_drift.failed_log is not null then
            -- of the profile fields Auth feeds, the ones the failed writes changed (all of them
            -- for a failed create, or where the log does not say), unless written since
            v_only := v_only || '{created_at}' || array(
                select f from unnest('{phone_number,full_name,avatar_url}'::text[]) f
                cross join lateral (
                    select max(l.id) as failed_at
                    from public.user_sync_logs l
                    where l.user_id = v_drift.user_id and not l.success and l.source in ('supabase_auth', 'reconcile')
                      and l.id > coalesce((select max(r.id) from public.user_sync_logs r
                                           where r.user_id = v_drift.user_id and r.success
                                             and r.sync_type in ('create', 'delete', 'reconcile')), 0)
                      and (l.sync_type = 'create' or l.after_data is null or l.after_data ? f)) w
                where w.failed_at is not null
                  and not exists (select from public.user_sync_logs l
                                  where l.user_id = v_drift.user_id and l.id > w.failed_at
                                    and l.success and l.after_data ? f));
        end if;
        if nura.resync_auth_user(v_drift.user_id, 'reconcile', v_only) then
            if v_drift.failed_log is not null then
                -- marks the failure repaired even where nothing was left to change
                insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
                values (v_drift.user_id, 'reconcile', 'reconcile', '{}', '{}', true);
            end if;
            v_repaired := v_repaired + 1;
        end if;
    end loop;
    if cardinality(v_stale) > 0 then
        begin
            v_done := nura.repair_stale_users(v_stale);
        exception when others then  -- one of them fails: each is repaired alone
            if nura.is_server_failure(sqlstate) then
                raise;
            end if;
            v_done := '{}'::uuid[];
        end;
        -- and so is each it left: one deleted, or brought back, since the check
        v_repaired := v_repaired + cardinality(v_done) + (
            select count(*) from (select unnest(v_stale) except select unnest(v_done)) r(id)
            where nura.resync_auth_user(r.id, 'reconcile', v_auth_owned));
    end if;
    if v_recording then
        perform nura.record_problems(p_user_ids);
    end if;
    return v_repaired;
end
$$;
comment on function nura.repair_users(uuid[]) is 'Repairs the drift of the users named: stale ones set-based, the others one by one.';
revoke all on function nura.repair_users(uuid[]) from public;
