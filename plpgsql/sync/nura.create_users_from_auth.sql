-- Creates the public.users rows of new auth users, set-based: one statement for a whole bulk
-- insert. Users that already have a row (a tombstone whose id is reused, a legacy person's row
-- an account adopted or whose id Auth was given, a row from elsewhere, one a concurrent sync
-- just created) get their auth row as it is now applied to it instead (the image given, for a
-- webhook's). Soft-deleted auth users get no row.
create or replace function nura.create_users_from_auth(p_auth auth.users[], p_source text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_fields jsonb;
    v_wanted integer;
    v_created uuid[];
    v_existing auth.users;
begin
    perform nura.legacy_adopt(p_auth, p_source);

    -- keyed by id, not joined: a cached plan takes unnest() of an array for one row, and a
    -- nested loop of a 5,000-user batch against itself was most of a backfill's time
    select jsonb_object_agg(n.id, nura.auth_user_fields(n)), count(*) into v_fields, v_wanted
    from unnest(p_auth) n
    where n.deleted_at is null;

    with created as (
        insert into public.users as u (id, email, phone_number, full_name, avatar_url,
            email_confirmed_at, phone_confirmed_at, last_sign_in_at, created_at, origin)
        select f.key::uuid, r.email, r.phone_number, r.full_name, r.avatar_url, r.email_confirmed_at,
               r.phone_confirmed_at, r.last_sign_in_at, coalesce(r.created_at, now()),
               case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end
        from jsonb_each(v_fields) f, jsonb_populate_record(null::public.users, f.value) r
        on conflict (id) do nothing
        returning u.id
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, after_data, success)
        -- the user's created_at is Auth's, and the row's own created_at says when it was synced
        select c.id, 'create', p_source, jsonb_strip_nulls(v_fields -> c.id::text) - 'created_at', true
        from created c
        returning user_id
    )
    select array(select l.user_id from logged l) into v_created;

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
