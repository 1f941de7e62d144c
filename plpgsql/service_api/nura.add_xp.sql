-- For services: adds p_points (may be negative) to a user's xp atomically and returns the new
-- total. PT400 if it would go below 0 or past the integer range, PT404 for an unknown user.
create or replace function nura.add_xp(p_user_id uuid, p_points integer)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_user public.users;
    v_xp integer;
begin
    if p_points is null then
        perform nura.raise_error('PT400', 'p_points must be an integer');
    end if;
    v_user := nura.locked_user(p_user_id);
    begin
        v_xp := v_user.xp + p_points;
    exception when numeric_value_out_of_range then
        perform nura.raise_error('PT400', 'xp would exceed the integer range');
    end;
    if v_xp < 0 then
        perform nura.raise_error('PT400', 'xp cannot go below 0', 'xp is ' || v_user.xp || ', points ' || p_points);
    end if;
    if p_points <> 0 then
        update public.users u set xp = v_xp, updated_at = now() where u.id = p_user_id;
        perform nura.write_sync_log(p_user_id, 'backend_update', 'backend_api',
            jsonb_build_object('xp', v_user.xp), jsonb_build_object('xp', v_xp));
    end if;
    return v_xp;
end
$$;
comment on function nura.add_xp(uuid, integer) is 'Service API: adds to a user''s xp atomically; returns the new total.';
revoke all on function nura.add_xp(uuid, integer) from public;
grant execute on function nura.add_xp(uuid, integer) to nura_service, service_role;
