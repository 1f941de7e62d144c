-- The drift of auth users' rows (docs/sync.md): missing, stale, failed and orphaned users, of
-- every user (p_user_ids null: the full check, hash joins over both tables) or of the users named
-- (the incremental check: index lookups). One text for both, planned for the case at hand: each
-- call's plan is made for its argument (plan_cache_mode), where `null is null` drops the filter.
-- The auth-owned fields are compared column by column (the values nura.auth_user_fields maps,
-- without mapping every user) and named in alphabetical order.
create or replace function nura.user_problems(p_user_ids uuid[])
returns table (user_id uuid, problem text, detail jsonb)
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
begin
    return query
        select a.id, 'missing', '{}'::jsonb
        from auth.users a
        where (p_user_ids is null or a.id = any(p_user_ids)) and a.deleted_at is null and not exists (select from public.users u where u.id = a.id)

        union all
        select u.id, 'stale', jsonb_build_object('fields', array_remove(array[
                   case when (a.deleted_at is null) <> (u.deleted_at is null) then 'deleted' end,
                   case when s.live and u.email is distinct from a.email then 'email' end,
                   case when s.live and u.email_confirmed_at is distinct from a.email_confirmed_at then 'email_confirmed_at' end,
                   case when s.live and u.last_sign_in_at is distinct from a.last_sign_in_at then 'last_sign_in_at' end,
                   case when s.live and u.phone_confirmed_at is distinct from a.phone_confirmed_at then 'phone_confirmed_at' end
               ], null))
        from public.users u
        join auth.users a on a.id = u.id
        cross join lateral (select u.deleted_at is null and a.deleted_at is null as live) s
        where (p_user_ids is null or u.id = any(p_user_ids)) and u.origin = 'supabase_auth'
          and ((a.deleted_at is null) <> (u.deleted_at is null)
               or s.live and (u.email is distinct from a.email
                              or u.email_confirmed_at is distinct from a.email_confirmed_at
                              or u.last_sign_in_at is distinct from a.last_sign_in_at
                              or u.phone_confirmed_at is distinct from a.phone_confirmed_at))

        union all
        select f.user_id, 'failed',
               jsonb_build_object('log_id', f.id, 'sync_type', f.sync_type, 'error', f.error_message,
                                  'at', f.created_at)
        from (
            select distinct on (l.user_id) l.*
            from public.user_sync_logs l
            where (p_user_ids is null or l.user_id = any(p_user_ids)) and not l.success and l.source in ('supabase_auth', 'reconcile')
            order by l.user_id, l.id desc
        ) f
        where not exists (
            select from public.user_sync_logs r
            where r.user_id = f.user_id and r.id > f.id and r.success
              and r.sync_type in ('create', 'delete', 'reconcile'))

        union all
        select u.id, 'orphaned', '{}'::jsonb
        from public.users u
        where (p_user_ids is null or u.id = any(p_user_ids)) and u.origin = 'supabase_auth' and u.deleted_at is null
          and not exists (select from auth.users a where a.id = u.id);
end
$$;
comment on function nura.user_problems(uuid[]) is 'Drift of auth users'' rows: of everyone, or of the users named.';
revoke all on function nura.user_problems(uuid[]) from public;
