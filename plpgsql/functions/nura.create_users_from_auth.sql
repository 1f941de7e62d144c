-- Creates the public.users rows of new auth users, set-based: one statement for a whole bulk
-- insert. Users that already have a row (a tombstone whose id is reused, a row from elsewhere,
-- one a concurrent sync just created) get their auth row as it is now applied to it instead (the
-- image given, for a webhook's). Soft-deleted auth users get no row. A person the legacy import
-- made, without an account, whose email a new non-SSO account has is adopted: their row takes
-- the auth id (profiles follow by cascade; map, conflicts and logs here); then the account's own
-- fields (email, confirmations, sign-in) are applied, and its profile fields only where the
-- person had none: the names and numbers they had stay theirs.
create or replace function nura.create_users_from_auth(p_auth auth.users[], p_source text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_wanted integer;
    v_created uuid[];
    v_existing auth.users;
    v_adopted record;
    v_adopted_ids uuid[] := '{}';
    v_fields jsonb;
begin
    if to_regclass('nura.legacy_user_map') is not null then  -- the legacy import is installed
        if exists (select from nura.legacy_rows)
           and current_setting('nura.in_legacy_batch', true) is distinct from 'on' then
            -- an import is under way: wait for its batches in flight, which hold these locks
            -- exclusively; then each sees the other's rows
            perform pg_catalog.pg_advisory_xact_lock_shared(
                        pg_catalog.hashtextextended('nura-users legacy people', slot))
            from generate_series(0, 3) slot;
        end if;
        for v_adopted in
            select n.id as auth_id, u.id as legacy_id, u.is_active
            from unnest(p_auth) n
            join public.users u on lower(u.email) = nura.normalized_email(n.email)
            where n.deleted_at is null and not n.is_sso_user and n.email is not null
              and u.origin = 'legacy_migration' and u.deleted_at is null
              and not exists (select from public.users x where x.id = n.id)
        loop
            -- an account's user is active and comes from Auth from now on
            update public.users
               set id = v_adopted.auth_id, is_active = true,
                   origin = case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end
             where id = v_adopted.legacy_id;
            update public.user_sync_logs set user_id = v_adopted.auth_id where user_id = v_adopted.legacy_id;
            update nura.legacy_user_map set user_id = v_adopted.auth_id where user_id = v_adopted.legacy_id;
            update nura.legacy_conflicts set user_id = v_adopted.auth_id where user_id = v_adopted.legacy_id;
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            values (v_adopted.auth_id, 'update', p_source,
                    jsonb_build_object('id', v_adopted.legacy_id, 'is_active', v_adopted.is_active,
                                       'origin', 'legacy_migration'),
                    jsonb_build_object('id', v_adopted.auth_id, 'is_active', true), true);
            v_adopted_ids := v_adopted_ids || v_adopted.auth_id;
        end loop;
    end if;

    with fields as (
        select n.id, nura.auth_user_fields(n) as f
        from unnest(p_auth) n
        where n.deleted_at is null
    ), created as (
        insert into public.users as u (id, email, phone_number, full_name, avatar_url,
            email_confirmed_at, phone_confirmed_at, last_sign_in_at, created_at, origin)
        select f.id, r.email, r.phone_number, r.full_name, r.avatar_url, r.email_confirmed_at,
               r.phone_confirmed_at, r.last_sign_in_at, coalesce(r.created_at, now()),
               case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end
        from fields f, jsonb_populate_record(null::public.users, f.f) r
        on conflict (id) do nothing
        returning u.id
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, after_data, success)
        -- the user's created_at is Auth's, and the row's own created_at says when it was synced
        select c.id, 'create', p_source, jsonb_strip_nulls(f.f) - 'created_at', true
        from created c join fields f on f.id = c.id
        returning user_id
    )
    select (select count(*) from fields), array(select l.user_id from logged l)
    into v_wanted, v_created;

    if cardinality(v_created) < v_wanted then
        for v_existing in
            select n.* from unnest(p_auth) n where n.deleted_at is null and n.id <> all (v_created)
        loop
            if p_source in ('supabase_auth', 'reconcile') then
                -- a concurrent sync may have created the row from a newer image: take the row as it is now
                select * into v_existing from auth.users a where a.id = v_existing.id;
            end if;
            if v_existing.id = any (v_adopted_ids) then
                v_fields := nura.auth_user_fields(v_existing);
                select v_fields - coalesce(array_agg(k), '{}') into v_fields
                from public.users u, unnest(array['full_name', 'phone_number', 'avatar_url', 'created_at']) k
                where u.id = v_existing.id and to_jsonb(u) ->> k is not null;
                perform nura.apply_auth_changes(v_existing, v_fields, p_source, false);
            else
                perform nura.apply_auth_user(null, v_existing, p_source);
            end if;
        end loop;
    end if;
    return v_wanted;
end
$$;
comment on function nura.create_users_from_auth(auth.users[], text) is 'Creates public.users rows for new auth users, set-based.';
revoke all on function nura.create_users_from_auth(auth.users[], text) from public;
