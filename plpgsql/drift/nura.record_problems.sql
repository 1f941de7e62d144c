-- Finds the drift of the users named (p_user_ids null: of everyone) and replaces what
-- nura.drift_problems held for them; the caller holds nura.check_lock(), so two recorders never
-- interleave. A statement of its own then takes out the problems of anyone erased meanwhile (no
-- live row left on either side): its fresh snapshot sees a deletion that committed while the
-- finding ran, whose own erasure of their problems could not see the rows written here.
create or replace function nura.record_problems(p_user_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
begin
    with found as materialized (
        select p.user_id, p.problem, p.detail from nura.user_problems(p_user_ids) p
    ), gone as (
        delete from nura.drift_problems d
         where (p_user_ids is null or d.user_id = any(p_user_ids))
           and not exists (select from found f where f.user_id = d.user_id and f.problem = d.problem)
    )
    insert into nura.drift_problems as d (user_id, problem, detail)
    select f.user_id, f.problem, f.detail from found f
    order by f.user_id, f.problem  -- rows locked in key order
    on conflict on constraint drift_problems_pkey do update set detail = excluded.detail
     where d.detail is distinct from excluded.detail;

    delete from nura.drift_problems d
     where (p_user_ids is null or d.user_id = any(p_user_ids))
       and not exists (select from auth.users a where a.id = d.user_id and a.deleted_at is null)
       and not exists (select from public.users u where u.id = d.user_id and u.deleted_at is null);
end
$$;
comment on function nura.record_problems(uuid[]) is 'Records the drift of some users, or of all.';
revoke all on function nura.record_problems(uuid[]) from public;
