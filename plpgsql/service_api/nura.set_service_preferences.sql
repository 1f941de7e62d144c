-- For services: merges keys into the user's preferences for a service (a null value deletes a
-- key). Returns the profile; PT404 for an unknown user or service type.
create or replace function nura.set_service_preferences(p_user_id uuid, p_service_type text, p_preferences jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
    return nura.write_service_profile(p_user_id, p_service_type, 'backend_api', p_preferences => coalesce(p_preferences, 'null'));  -- null is PT400 too
end
$$;
comment on function nura.set_service_preferences(uuid, text, jsonb) is 'Service API: merges keys into a user''s service preferences.';
revoke all on function nura.set_service_preferences(uuid, text, jsonb) from public;
grant execute on function nura.set_service_preferences(uuid, text, jsonb) to nura_service, service_role;
