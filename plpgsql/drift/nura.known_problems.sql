-- Every drift problem known now: those recorded (nura.drift_problems), and the missing triggers
-- and blocked adoptions, read where they live.
create or replace function nura.known_problems()
returns table (user_id uuid, problem text, detail jsonb)
language sql
stable
set search_path = ''
as $$
    select p.user_id, p.problem, p.detail from nura.trigger_and_adoption_problems() p
    union all
    select d.user_id, d.problem, d.detail from nura.drift_problems d
$$;
comment on function nura.known_problems() is 'Every drift problem known now.';
revoke all on function nura.known_problems() from public;
