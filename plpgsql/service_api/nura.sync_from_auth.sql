-- For services: applies one auth.users row image the way a Supabase Database Webhook delivers it,
-- for deployments whose backend database is not the Supabase one. p_op is INSERT, UPDATE or
-- DELETE in any case; p_record is the new image (null for DELETE), p_old_record the old one.
-- Deliveries of a user are serialized and applied in the order of the record's updated_at: each
-- is diffed against the image applied last (so one that arrives late, or a retry, changes
-- nothing, and profile edits made since survive), and a deleted user is never brought back,
-- even when the DELETE arrives first. A user this database's own auth.users feeds is left to the
-- trigger. An updated_at that is not a finite time, or lies more than 5 minutes ahead, is PT400.
-- Returns the user (null if there is none).
create or replace function nura.sync_from_auth(p_record jsonb, p_old_record jsonb, p_op text, p_source text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_op constant text := upper(p_op);
    v_new auth.users;
    v_old auth.users;
    v_id uuid;
    v_at timestamptz;
    v_user public.users;
    v_fields jsonb;
    v_changes jsonb;
begin
    if v_op is null or v_op not in ('INSERT', 'UPDATE', 'DELETE') then
        perform nura.raise_error('PT400', 'p_op must be INSERT, UPDATE or DELETE', 'got ' || coalesce(p_op, 'null'));
    end if;
    if p_source is null or p_source not in ('supabase_webhook', 'backend_api') then
        perform nura.raise_error('PT400', 'p_source must be supabase_webhook or backend_api',
            'got ' || coalesce(p_source, 'null'));
    end if;
    if jsonb_typeof(case when v_op = 'DELETE' then coalesce(p_old_record, p_record) else p_record end)
           is distinct from 'object'
       or jsonb_typeof(coalesce(p_old_record, '{}')) not in ('object', 'null') then
        perform nura.raise_error('PT400', 'the record must be a JSON object (the old record, for a DELETE)');
    end if;
    begin
        if v_op = 'DELETE' then
            v_old := jsonb_populate_record(null::auth.users, coalesce(p_old_record, p_record));
        else
            v_new := jsonb_populate_record(null::auth.users, p_record);
            v_old := jsonb_populate_record(null::auth.users, p_old_record);  -- what the write changed
        end if;
    exception when data_exception or datatype_mismatch then
        perform nura.raise_error('PT400', 'the record is not an auth.users row', sqlerrm);
    end;
    v_id := case when v_op = 'DELETE' then v_old.id else v_new.id end;
    v_at := case when v_op = 'DELETE' then v_old.updated_at else v_new.updated_at end;
    if v_id is null then
        perform nura.raise_error('PT400', 'the record has no id');
    end if;
    if v_op <> 'DELETE' and v_at is null then
        perform nura.raise_error('PT400', 'the record has no updated_at', null,
            'deliveries are ordered by it: send whole auth.users rows');
    end if;
    -- a time no later delivery could pass would freeze the user
    if not isfinite(v_at) or v_at > now() + interval '5 minutes' then
        perform nura.raise_error('PT400', 'the record''s updated_at is not a finite time up to 5 minutes from now',
            'got ' || v_at::text, 'deliveries are ordered by updated_at: send the time Auth wrote');
    end if;

    -- one delivery of a user at a time, whether or not the user has a row yet
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('nura.sync_from_auth ' || v_id, 0));
    select * into v_user from public.users u where u.id = v_id for update;
    if v_user.origin = 'supabase_auth' then
        return to_jsonb(v_user);
    end if;

    if v_op = 'DELETE' or v_new.deleted_at is not null then
        if v_user.id is null then
            -- a tombstone all the same, so a late INSERT or UPDATE cannot bring the user back
            insert into public.users (id, origin, is_active, deleted_at)
            values (v_id, p_source, false, now());
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            values (v_id, 'delete', p_source, null,
                    jsonb_build_object('deleted_at', now(), 'is_active', false, 'cleared', '[]'::jsonb), true);
        else
            perform nura.tombstone_users(array[v_id], p_source);
        end if;
    elsif v_user.deleted_at is null and (v_user.auth_updated_at is null or v_at >= v_user.auth_updated_at) then
        v_fields := nura.auth_user_fields(v_new);
        v_changes := nura.changed_fields(v_user.auth_fields, v_fields);
        perform nura.apply_auth_changes(v_new, v_changes, p_source, v_user.auth_fields is null);
        update public.users u set auth_fields = v_fields where u.id = v_id and u.auth_fields is distinct from v_fields;
        if nura.legacy_adopts_on(case when v_user.auth_fields is not null then v_old end, v_new) then
            perform nura.legacy_adopt(array[v_new], p_source);
        end if;
    end if;
    update public.users u set auth_updated_at = v_at  -- a tombstone keeps no time of the person's
    where u.id = v_id and u.deleted_at is null and v_at > coalesce(u.auth_updated_at, '-infinity');
    return (select to_jsonb(u) from public.users u where u.id = v_id);
end
$$;
comment on function nura.sync_from_auth(jsonb, jsonb, text, text) is 'Service API: applies one auth.users image (the webhook path), in updated_at order.';
revoke all on function nura.sync_from_auth(jsonb, jsonb, text, text) from public;
grant execute on function nura.sync_from_auth(jsonb, jsonb, text, text) to nura_service, service_role;
