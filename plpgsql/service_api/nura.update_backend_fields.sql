-- For services: sets backend-managed fields of a user: xp and current_streak (integers >= 0),
-- is_active (boolean), last_active_at (a timestamp or null). Anything else is PT400.
create or replace function nura.update_backend_fields(p_user_id uuid, p_changes jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_user public.users;
    k text;
    v jsonb;
    v_before jsonb;
    v_after jsonb;
begin
    if jsonb_typeof(p_changes) is distinct from 'object' then
        perform nura.raise_error('PT400', 'the changes must be a JSON object');
    end if;
    for k, v in select * from jsonb_each(p_changes) loop
        if k in ('xp', 'current_streak') then
            if jsonb_typeof(v) <> 'number' or v #>> '{}' !~ '^[0-9]{1,10}$' or (v #>> '{}')::bigint > 2147483647 then
                perform nura.raise_error('PT400', k || ' must be an integer from 0 to 2147483647');
            end if;
        elsif k = 'is_active' then
            if jsonb_typeof(v) <> 'boolean' then
                perform nura.raise_error('PT400', 'is_active must be true or false');
            end if;
        elsif k = 'last_active_at' then
            if jsonb_typeof(v) not in ('string', 'null') or not nura.is_timestamp(v #>> '{}') then
                perform nura.raise_error('PT400', 'last_active_at must be an ISO 8601 timestamp or null');
            end if;
        else
            perform nura.raise_error('PT400', k || ' is not a backend field', null,
                'backend fields: xp, current_streak, is_active, last_active_at');
        end if;
    end loop;

    v_user := nura.locked_user(p_user_id);
    -- compare as the row would store them (a timestamp in another zone is the same instant)
    v_after := nura.changed_fields(to_jsonb(v_user),
        (select jsonb_object_agg(e.key, to_jsonb(r) -> e.key)
         from jsonb_populate_record(v_user, p_changes) r, jsonb_each(p_changes) e));
    if v_after is not null and v_after <> '{}' then
        v_before := nura.pick(to_jsonb(v_user), v_after);
        update public.users u
           set (xp, current_streak, is_active, last_active_at, updated_at)
             = (r.xp, r.current_streak, r.is_active, r.last_active_at, now())
          from jsonb_populate_record(v_user, v_after) r
         where u.id = p_user_id
        returning u.* into v_user;
        perform nura.write_sync_log(p_user_id, 'backend_update', 'backend_api', v_before, v_after);
    end if;
    return to_jsonb(v_user);
end
$$;
comment on function nura.update_backend_fields(uuid, jsonb) is 'Service API: sets a user''s backend-managed fields.';
revoke all on function nura.update_backend_fields(uuid, jsonb) from public;
grant execute on function nura.update_backend_fields(uuid, jsonb) to nura_service, service_role;
