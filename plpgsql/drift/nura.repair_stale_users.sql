-- For nura.repair_users, which holds the users' rows locked already (all its batch's, in id
-- order): repairs stale users set-based, as nura.resync_auth_user repairs one (its auth-owned
-- fields from the auth row as it is now, a reconcile log row naming what changed, the adoption
-- a confirmed address may make). The auth rows are read after the locks were granted, so an
-- auth write committing meanwhile is either seen or applies its change after ours. Only users
-- live on both sides are repaired here. Returns the ids of those it repaired (the caller
-- repairs the others alone). Raises if any row fails: the caller then repairs each alone.
create or replace function nura.repair_stale_users(p_user_ids uuid[])
returns uuid[]
language plpgsql
set search_path = ''
-- each user found by key, never a table hashed whole (see nura.tombstone_users)
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
    v_repaired uuid[];
    v_adopting auth.users[];
begin
    with stale as (
        select a, u.id,
               u.email is distinct from a.email as w_email, u.email as was_email, a.email,
               u.email_confirmed_at is distinct from a.email_confirmed_at as w_email_confirmed_at,
               u.email_confirmed_at as was_email_confirmed_at, a.email_confirmed_at,
               u.phone_confirmed_at is distinct from a.phone_confirmed_at as w_phone_confirmed_at,
               u.phone_confirmed_at as was_phone_confirmed_at, a.phone_confirmed_at,
               u.last_sign_in_at is distinct from a.last_sign_in_at as w_last_sign_in_at,
               u.last_sign_in_at as was_last_sign_in_at, a.last_sign_in_at
        from public.users u
        join auth.users a on a.id = u.id
        where u.id = any(p_user_ids) and u.origin = 'supabase_auth' and u.deleted_at is null and a.deleted_at is null
    ), updated as (
        update public.users u
           set email = case when s.w_email then s.email else u.email end,
               email_confirmed_at = case when s.w_email_confirmed_at then s.email_confirmed_at else u.email_confirmed_at end,
               phone_confirmed_at = case when s.w_phone_confirmed_at then s.phone_confirmed_at else u.phone_confirmed_at end,
               last_sign_in_at = case when s.w_last_sign_in_at then s.last_sign_in_at else u.last_sign_in_at end,
               updated_at = now()
          from stale s
         where u.id = s.id and (s.w_email or s.w_email_confirmed_at or s.w_phone_confirmed_at or s.w_last_sign_in_at)
        returning s.*
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
        select s.id, 'reconcile', 'reconcile',
               case when s.w_email then jsonb_build_object('email', s.was_email) else '{}' end
               || case when s.w_email_confirmed_at then jsonb_build_object('email_confirmed_at', s.was_email_confirmed_at) else '{}' end
               || case when s.w_phone_confirmed_at then jsonb_build_object('phone_confirmed_at', s.was_phone_confirmed_at) else '{}' end
               || case when s.w_last_sign_in_at then jsonb_build_object('last_sign_in_at', s.was_last_sign_in_at) else '{}' end,
               case when s.w_email then jsonb_build_object('email', s.email) else '{}' end
               || case when s.w_email_confirmed_at then jsonb_build_object('email_confirmed_at', s.email_confirmed_at) else '{}' end
               || case when s.w_phone_confirmed_at then jsonb_build_object('phone_confirmed_at', s.phone_confirmed_at) else '{}' end
               || case when s.w_last_sign_in_at then jsonb_build_object('last_sign_in_at', s.last_sign_in_at) else '{}' end,
               true
        from updated s
    )
    select coalesce(array_agg(s.id), '{}'::uuid[]), array_agg(s.a) filter (where nura.legacy_adopts_on(null, s.a))
      into v_repaired, v_adopting
      from stale s;

    if v_adopting is not null then  -- a repaired account with a confirmed address may adopt
        perform nura.legacy_adopt(v_adopting, 'reconcile');
    end if;
    return v_repaired;
end
$$;
comment on function nura.repair_stale_users(uuid[]) is 'Repairs stale users'' auth-owned fields set-based.';
revoke all on function nura.repair_stale_users(uuid[]) from public;
