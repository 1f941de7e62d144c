-- For services: records a use of a service (last_used_at, usage_stats.uses, the user's
-- last_active_at). Returns the profile; PT404 for an unknown user or service type.
create or replace function nura.touch_service(p_user_id uuid, p_service_type text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
    return nura.write_service_profile(p_user_id, p_service_type, 'backend_api', p_touch => true);
end
$$;
comment on function nura.touch_service(uuid, text) is 'Service API: records a use of a service.';
revoke all on function nura.touch_service(uuid, text) from public;
grant execute on function nura.touch_service(uuid, text) to nura_service, service_role;
