-- Creates the public.users rows of new auth users, set-based (one statement for a whole bulk
-- insert). Users that already have a row (a tombstone whose id is reused, a row from elsewhere)
-- get the auth row applied to it instead. Soft-deleted auth users get no row.
create or replace function nura.create_users_from_auth(p_auth auth.users[], p_source text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_existing auth.users[];
    v_logged bigint[];
    v_created uuid[];
    a auth.users;
begin
    select coalesce(array_agg(n), '{}') into v_existing
    from unnest(p_auth) n
    where n.deleted_at is null and exists (select from public.users u where u.id = n.id);

    with fields as (
        select n.id, nura.auth_user_fields(n) as f
        from unnest(p_auth) n
        where n.deleted_at is null and n.id <> all (select e.id from unnest(v_existing) e)
    ), created as (
        insert into public.users as u (id, email, phone_number, full_name, avatar_url,
            email_confirmed_at, phone_confirmed_at, last_sign_in_at, created_at, origin)
        select f.id, r.email, r.phone_number, r.full_name, r.avatar_url, r.email_confirmed_at,
               r.phone_confirmed_at, r.last_sign_in_at, coalesce(r.created_at, now()), 'supabase_auth'
        from fields f, jsonb_populate_record(null::public.users, f.f) r
        on conflict (id) do nothing
        returning u.id
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, after_data, success)
        select c.id, 'create', p_source, jsonb_strip_nulls(f.f), true
        from created c join fields f on f.id = c.id
        returning id, user_id
    )
    select array_agg(l.id), array_agg(l.user_id) into v_logged, v_created from logged l;

    if p_source = 'supabase_auth' and cardinality(v_logged) = 1 then
        -- the rest of this signup flow folds into this row (see nura.write_sync_log)
        perform set_config('nura.sync_log_of_flow', v_created[1]::text || '/' || v_logged[1], true);
    end if;

    foreach a in array v_existing loop
        perform nura.apply_auth_user(null, a, p_source);
    end loop;
    return coalesce(cardinality(v_logged), 0) + cardinality(v_existing);
end
$$;
comment on function nura.create_users_from_auth(auth.users[], text) is 'Creates public.users rows for new auth users, set-based.';
