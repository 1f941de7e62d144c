-- Creates the public.users rows of new auth users, set-based: one statement for a whole bulk
-- insert. Users that already have a row (a tombstone whose id is reused, a legacy person's row
-- an account adopted or whose id Auth was given, a row from elsewhere, one a concurrent sync
-- just created) get their auth row as it is now applied to it instead (the image given, for a
-- webhook's). Soft-deleted auth users get no row.
-- The fields are mapped column by column here, as nura.auth_user_fields maps them (a test holds
-- the two alike): that jsonb built and read back per user, and its four function calls, cost a
-- backfill more than writing the row.
create or replace function nura.create_users_from_auth(p_auth auth.users[], p_source text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_wanted integer;
    v_created uuid[];
    v_existing auth.users;
begin
    perform nura.legacy_adopt(p_auth, p_source);

    with wanted as (
        select n.id, n.email, nura.e164(n.phone) as phone_number,
               -- nura.metadata_text and nura.metadata_url, written out: a call per user cost a
               -- backfill a sixth of its time
               left(btrim(coalesce(
                   case when jsonb_typeof(n.raw_user_meta_data -> 'full_name') = 'string'
                         and btrim(n.raw_user_meta_data ->> 'full_name') <> '' then n.raw_user_meta_data ->> 'full_name' end,
                   case when jsonb_typeof(n.raw_user_meta_data -> 'name') = 'string'
                         and btrim(n.raw_user_meta_data ->> 'name') <> '' then n.raw_user_meta_data ->> 'name' end)), 200) as full_name,
               coalesce(
                   case when jsonb_typeof(n.raw_user_meta_data -> 'avatar_url') = 'string'
                         and btrim(n.raw_user_meta_data ->> 'avatar_url') ~* '^https?://[^[:space:]]+$'
                         and char_length(btrim(n.raw_user_meta_data ->> 'avatar_url')) <= 2048
                        then btrim(n.raw_user_meta_data ->> 'avatar_url') end,
                   case when jsonb_typeof(n.raw_user_meta_data -> 'picture') = 'string'
                         and btrim(n.raw_user_meta_data ->> 'picture') ~* '^https?://[^[:space:]]+$'
                         and char_length(btrim(n.raw_user_meta_data ->> 'picture')) <= 2048
                        then btrim(n.raw_user_meta_data ->> 'picture') end) as avatar_url,
               n.email_confirmed_at, n.phone_confirmed_at, n.last_sign_in_at, n.created_at
        from unnest(p_auth) n
        where n.deleted_at is null
    ), created as (
        insert into public.users as u (id, email, phone_number, full_name, avatar_url,
            email_confirmed_at, phone_confirmed_at, last_sign_in_at, created_at, origin)
        select w.id, w.email, w.phone_number, w.full_name, w.avatar_url, w.email_confirmed_at,
               w.phone_confirmed_at, w.last_sign_in_at, coalesce(w.created_at, now()),
               case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end
        from wanted w
        on conflict (id) do nothing
        returning u.id, u.email, u.phone_number, u.full_name, u.avatar_url, u.email_confirmed_at,
                  u.phone_confirmed_at, u.last_sign_in_at
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, after_data, success)
        -- the user's created_at is Auth's, and the row's own created_at says when it was synced
        select c.id, 'create', p_source, jsonb_strip_nulls(jsonb_build_object(
                   'email', c.email, 'phone_number', c.phone_number, 'full_name', c.full_name,
                   'avatar_url', c.avatar_url, 'email_confirmed_at', c.email_confirmed_at,
                   'phone_confirmed_at', c.phone_confirmed_at, 'last_sign_in_at', c.last_sign_in_at)), true
        from created c
        returning user_id
    )
    select array(select l.user_id from logged l), (select count(*) from wanted) into v_created, v_wanted;

    if cardinality(v_created) < v_wanted then
        for v_existing in
            select n.* from unnest(p_auth) n where n.deleted_at is null and n.id <> all (v_created)
        loop
            if p_source in ('supabase_auth', 'reconcile') then
                -- a concurrent sync may have created the row from a newer image: take the row as it is now
                select * into v_existing from auth.users a where a.id = v_existing.id;
            end if;
            perform nura.apply_auth_user(null, v_existing, p_source);
        end loop;
    end if;
    return v_wanted;
end
$$;
comment on function nura.create_users_from_auth(auth.users[], text) is 'Creates public.users rows for new auth users, set-based.';
revoke all on function nura.create_users_from_auth(auth.users[], text) from public;
