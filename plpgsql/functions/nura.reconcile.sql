-- Repairs what nura.check_consistency() reports and returns how many users it repaired:
-- missing users are created (in batches, set-based), stale ones get their auth-owned fields,
-- failed ones and wrongly deleted ones the whole auth row, orphans are tombstoned. Rows not from auth.users are untouched.
create or replace function nura.reconcile()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_batch auth.users[];
    v_repaired integer := 0;
    v_drift record;
    v_auth auth.users;
begin
    loop
        select array_agg(a) into v_batch
        from (select a from auth.users a
              where a.deleted_at is null and not exists (select from public.users u where u.id = a.id)
              limit 5000) s(a);
        exit when v_batch is null;
        perform nura.create_users_from_auth(v_batch, 'reconcile');
        v_repaired := v_repaired + cardinality(v_batch);
    end loop;

    for v_drift in
        select c.user_id, array_agg(c.problem) as problems
        from nura.check_consistency() c
        where c.problem in ('stale', 'failed', 'orphaned')
        group by c.user_id
        order by c.user_id
    loop
        select * into v_auth from auth.users a where a.id = v_drift.user_id;
        if not found or v_auth.deleted_at is not null then
            perform nura.tombstone_users(array[v_drift.user_id], 'reconcile');
        elsif 'failed' = any (v_drift.problems)
              or exists (select from public.users u where u.id = v_drift.user_id and u.deleted_at is not null) then
            perform nura.apply_auth_user(null, v_auth, 'reconcile');
        else
            perform nura.apply_auth_user(null, v_auth, 'reconcile',
                '{email,email_confirmed_at,phone_confirmed_at,last_sign_in_at}');
        end if;
        if 'failed' = any (v_drift.problems) then
            -- mark the failure repaired even where the re-applied row had nothing left to change
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            values (v_drift.user_id, 'reconcile', 'reconcile', '{}', '{}', true);
        end if;
        v_repaired := v_repaired + 1;
    end loop;
    return v_repaired;
end
$$;
comment on function nura.reconcile() is 'Repairs drift between auth.users and public.users; returns the users repaired.';
revoke all on function nura.reconcile() from public;
grant execute on function nura.reconcile() to nura_service, service_role;
