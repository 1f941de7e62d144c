-- Repairs what nura.check_consistency() reports and returns how many users it repaired:
-- - missing users are created set-based, in batches walked by id (each user is visited once,
--   so one that keeps failing cannot hold the rest up);
-- - stale ones get their auth-owned fields, or the whole row if they were wrongly deleted;
-- - failed ones get what the failed auth writes changed (the whole row after a failed create),
--   except profile fields written since (the last write wins), so a repair never reverts an
--   edit the failed write did not touch;
-- - orphans are tombstoned;
-- - adoptions of legacy people a foreign key held up are tried again (nura.legacy_adopt_person).
-- Each user is repaired alone: one that fails is logged (source reconcile) and the rest go on.
-- Rows that never came from auth.users are not looked at.
create or replace function nura.reconcile()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_auth_owned constant text[] := '{email,email_confirmed_at,phone_confirmed_at,last_sign_in_at}'::text[];
    v_batch auth.users[];
    v_last uuid := '00000000-0000-0000-0000-000000000000'::uuid;
    v_repaired integer := 0;
    v_drift record;
    v_only text[];
    v_blocked record;
begin
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
                and not exists (select from public.users u where u.id = a.id)
              order by a.id
              limit 5000
              for no key update of a) s;  -- held already, but for users who signed up since
        exit when v_batch is null;
        v_last := v_batch[cardinality(v_batch)].id;
        v_repaired := v_repaired + nura.create_missing_users(v_batch);
    end loop;

    for v_drift in
        select c.user_id, array_agg(c.problem) as problems,
               max((c.detail ->> 'log_id')::bigint) as failed_log
        from nura.check_consistency() c
        where c.problem in ('stale', 'failed', 'orphaned')
        group by c.user_id
        order by c.user_id
    loop
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
    -- adoptions a foreign key held up: completed once it cascades
    for v_blocked in select b.account_id, b.person_id from nura.legacy_blocked_adoptions() b order by b.account_id loop
        if nura.legacy_adopt_person(v_blocked.person_id, v_blocked.account_id, 'reconcile') is distinct from 'blocked' then
            delete from nura.legacy_adoptions_blocked b where b.account_id = v_blocked.account_id;
            v_repaired := v_repaired + 1;
        end if;
    end loop;
    return v_repaired;
end
$$;
comment on function nura.reconcile() is 'Repairs drift between auth.users and public.users; returns the users repaired.';
revoke all on function nura.reconcile() from public;
grant execute on function nura.reconcile() to nura_service, service_role;
