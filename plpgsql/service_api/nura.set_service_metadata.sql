-- For services: merges keys into the user's service_metadata for a service (a null value
-- deletes a key). Returns the profile; PT404 for an unknown user or service type.
create or replace function nura.set_service_metadata(p_user_id uuid, p_service_type text, p_metadata jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
    return nura.write_service_profile(p_user_id, p_service_type, 'backend_api', p_metadata => coalesce(p_metadata, 'null'));  -- null is PT400 too
end
$$;
comment on function nura.set_service_metadata(uuid, text, jsonb) is 'Service API: merges keys into a user''s service_metadata.';
revoke all on function nura.set_service_metadata(uuid, text, jsonb) from public;
grant execute on function nura.set_service_metadata(uuid, text, jsonb) to nura_service, service_role;
