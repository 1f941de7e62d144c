-- For services: applies one auth.users row image, the way a Supabase Database Webhook delivers
-- it, for deployments whose backend database is not the Supabase one. p_op is INSERT, UPDATE or
-- DELETE in any case; p_record is the new image (null for DELETE), p_old_record the old one.
-- Deliveries are applied in the order of the record's updated_at: an older one, or a retry,
-- changes nothing, and a deleted user is never brought back. Returns the user (null if none).
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
    v_user public.users;
begin
    if v_op is null or v_op not in ('INSERT', 'UPDATE', 'DELETE') then
        perform nura.raise_error('PT400', 'p_op must be INSERT, UPDATE or DELETE', 'got ' || coalesce(p_op, 'null'));
    end if;
    if p_source is null or p_source not in ('supabase_webhook', 'supabase_auth', 'backend_api') then
        perform nura.raise_error('PT400', 'p_source must be supabase_webhook, supabase_auth or backend_api');
    end if;
    if jsonb_typeof(case when v_op = 'DELETE' then coalesce(p_old_record, p_record) else p_record end) <> 'object'
       or (p_old_record is not null and jsonb_typeof(p_old_record) not in ('object', 'null')) then
        perform nura.raise_error('PT400', 'the record must be a JSON object (the old record for a DELETE)');
    end if;
    begin
        v_new := jsonb_populate_record(null::auth.users, case when v_op = 'DELETE' then null else p_record end);
        v_old := jsonb_populate_record(null::auth.users, case when v_op = 'DELETE' then coalesce(p_old_record, p_record)
                                                              when jsonb_typeof(p_old_record) = 'object' then p_old_record end);
    exception when data_exception then
        perform nura.raise_error('PT400', 'the record is not an auth.users row', sqlerrm);
    end;
    if coalesce(v_new.id, v_old.id) is null then
        perform nura.raise_error('PT400', 'the record has no id');
    end if;

    select * into v_user from public.users u where u.id = coalesce(v_new.id, v_old.id) for update;
    if v_op = 'DELETE' then
        perform nura.tombstone_users(array[v_old.id], p_source);
    elsif v_user.deleted_at is not null then
        null;  -- never brought back
    elsif v_user.auth_updated_at is not null and v_new.updated_at <= v_user.auth_updated_at then
        null;  -- older than what was applied, or a retry of it
    else
        perform nura.apply_auth_user(case when v_op = 'UPDATE' then v_old end, v_new, p_source);
        update public.users u set auth_updated_at = v_new.updated_at
        where u.id = v_new.id and u.deleted_at is null;
    end if;
    return (select to_jsonb(u) from public.users u where u.id = coalesce(v_new.id, v_old.id));
end
$$;
comment on function nura.sync_from_auth(jsonb, jsonb, text, text) is 'Service API: applies one auth.users image (the webhook path), in updated_at order.';
revoke all on function nura.sync_from_auth(jsonb, jsonb, text, text) from public;
grant execute on function nura.sync_from_auth(jsonb, jsonb, text, text) to nura_service, service_role;
