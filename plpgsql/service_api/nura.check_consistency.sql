-- One row per drift between auth.users and public.users (docs/sync.md). Only rows
-- that came from auth.users can drift; profile fields never count, either side may edit them.
create or replace function nura.check_consistency()
returns table (user_id uuid, problem text, detail jsonb)
language sql
stable
security definer
set search_path = ''
as $$
    select null::uuid, 'trigger_missing', jsonb_build_object('missing', array_agg(t.name))
    from unnest(array['tg_auth_users__sync_insert', 'tg_auth_users__sync_bulk_insert',
                      'tg_auth_users__sync_update', 'tg_auth_users__sync_delete']) as t(name)
    where not exists (
        select from pg_catalog.pg_trigger g
        where g.tgrelid = to_regclass('auth.users') and g.tgname = t.name and g.tgenabled in ('O', 'A'))
    having count(*) > 0

    union all
    select a.id, 'missing', '{}'::jsonb
    from auth.users a
    where a.deleted_at is null and not exists (select from public.users u where u.id = a.id)

    union all
    -- the auth-owned fields, compared column by column (the same values nura.auth_user_fields
    -- maps, without mapping every user), named in alphabetical order
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
    where u.origin = 'supabase_auth'
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
        where not l.success and l.source in ('supabase_auth', 'reconcile')
        order by l.user_id, l.id desc
    ) f
    where not exists (
        select from public.user_sync_logs r
        where r.user_id = f.user_id and r.id > f.id and r.success
          and r.sync_type in ('create', 'delete', 'reconcile'))

    union all
    select b.account_id, 'adoption_blocked',
           jsonb_build_object('legacy_person', b.person_id, 'blocked_by', b.blocked_by, 'since', b.blocked_at)
    from nura.legacy_blocked_adoptions() b

    union all
    select u.id, 'orphaned', '{}'::jsonb
    from public.users u
    where u.origin = 'supabase_auth' and u.deleted_at is null
      and not exists (select from auth.users a where a.id = u.id)
$$;
comment on function nura.check_consistency() is 'Drift report: missing, stale, failed, orphaned users, blocked adoptions and missing triggers.';
revoke all on function nura.check_consistency() from public;
grant execute on function nura.check_consistency() to nura_service, service_role;
