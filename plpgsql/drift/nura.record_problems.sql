-- Finds the drift of the users named (p_user_ids null: of everyone) and replaces what
-- nura.drift_problems held for them. What was found is written by statements of their own, whose
-- fresh snapshot sees a deletion that committed while the finding ran: a person erased meanwhile
-- (no live row left on either side) gets no row back.
create or replace function nura.record_problems(p_user_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_found jsonb;
begin
    select coalesce(jsonb_agg(jsonb_build_object('user_id', p.user_id, 'problem', p.problem, 'detail', p.detail)), '[]')
      into v_found
      from nura.user_problems(p_user_ids) p;

    delete from nura.drift_problems d
     where (p_user_ids is null or d.user_id = any(p_user_ids))
       and not exists (select from jsonb_to_recordset(v_found) f(user_id uuid, problem text)
                       where f.user_id = d.user_id and f.problem = d.problem);
    insert into nura.drift_problems as d (user_id, problem, detail)
    select f.user_id, f.problem, f.detail
      from jsonb_to_recordset(v_found) f(user_id uuid, problem text, detail jsonb)
     where exists (select from auth.users a where a.id = f.user_id and a.deleted_at is null)
        or exists (select from public.users u where u.id = f.user_id and u.deleted_at is null)
    on conflict on constraint drift_problems_pkey do update set detail = excluded.detail
     where d.detail is distinct from excluded.detail;
end
$$;
comment on function nura.record_problems(uuid[]) is 'Records the drift of some users, or of all.';
revoke all on function nura.record_problems(uuid[]) from public;
