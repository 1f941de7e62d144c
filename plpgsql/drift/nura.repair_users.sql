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
-- The others are repaired each alone, and so are the stale ones if their set-based repair fails:
-- one that fails is logged (source reconcile) and the rest go on.
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
    v_stale uuid[] := '{}'::uuid[];
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

    for v_drift in
        select c.user_id, array_agg(c.problem) as problems,
               max((c.detail ->> 'log_id')::bigint) as failed_log,
               bool_and(c.problem = 'stale' and (c.detail -> 'fields') <@ v_set_based) as live_and_stale
        from nura.user_problems(p_user_ids) c
        where c.problem in ('stale', 'failed', 'orphaned')
        group by c.user_id
        order by c.user_id
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
            v_repaired := v_repaired + nura.repair_stale_users(v_stale);
        exception when others then  -- one of them fails: each is repaired alone
            if nura.is_server_failure(sqlstate) then
                raise;
            end if;
            v_repaired := v_repaired + (select count(*) from unnest(v_stale) s(id)
                                        where nura.resync_auth_user(s.id, 'reconcile', v_auth_owned));
        end;
    end if;
    if v_recording then
        perform nura.record_problems(p_user_ids);
    end if;
    return v_repaired;
end
$$;
comment on function nura.repair_users(uuid[]) is 'Repairs the drift of the users named, one by one.';
revoke all on function nura.repair_users(uuid[]) from public;
