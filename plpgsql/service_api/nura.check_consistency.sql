-- The full drift check: one row per drift between auth.users and public.users (docs/sync.md).
-- Only rows that came from auth.users can drift; profile fields never count, either side may
-- edit them. It reads every user: what runs on a schedule reads nura.check_changes() instead.
create or replace function nura.check_consistency()
returns table (user_id uuid, problem text, detail jsonb)
language sql
stable
security definer
set search_path = ''
as $$
    select p.user_id, p.problem, p.detail from nura.trigger_and_adoption_problems() p
    union all
    select p.user_id, p.problem, p.detail from nura.user_problems(null) p
$$;
comment on function nura.check_consistency() is 'Drift report: missing, stale, failed, orphaned users, blocked adoptions and missing triggers.';
revoke all on function nura.check_consistency() from public;
grant execute on function nura.check_consistency() to nura_service, service_role;
