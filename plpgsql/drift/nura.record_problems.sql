-- Finds the drift of the users named (p_user_ids null: of everyone), replaces what
-- nura.drift_problems held for them, and returns every problem known now, with the missing
-- triggers and blocked adoptions read where they live.
create or replace function nura.record_problems(p_user_ids uuid[])
returns table (user_id uuid, problem text, detail jsonb)
language plpgsql
set search_path = ''
as $$
begin
    with found as (
        select p.user_id, p.problem, p.detail from nura.user_problems(p_user_ids) p
    ), gone as (
        delete from nura.drift_problems d
         where (p_user_ids is null or d.user_id = any(p_user_ids))
           and not exists (select from found f where f.user_id = d.user_id and f.problem = d.problem)
    )
    insert into nura.drift_problems as d (user_id, problem, detail)
    select f.user_id, f.problem, f.detail from found f
    on conflict on constraint drift_problems_pkey do update set detail = excluded.detail
     where d.detail is distinct from excluded.detail;

    return query
        select p.user_id, p.problem, p.detail from nura.trigger_and_adoption_problems() p
        union all
        select d.user_id, d.problem, d.detail from nura.drift_problems d;
end
$$;
comment on function nura.record_problems(uuid[]) is 'Records the drift of some users (or all) and returns every known problem.';
revoke all on function nura.record_problems(uuid[]) from public;
