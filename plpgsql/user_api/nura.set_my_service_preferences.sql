-- For the signed-in user: merges keys into their preferences for one service (a null value
-- deletes a key). PT404 for an unknown service type, or a deleted or unsynced user.
create or replace function nura.set_my_service_preferences(p_service_type text, p_preferences jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
    return nura.write_service_profile(nura.current_user_id(), p_service_type, 'frontend_sync',
                                      p_preferences => coalesce(p_preferences, 'null'));  -- null is PT400 too
end
$$;
comment on function nura.set_my_service_preferences(text, jsonb) is 'User API: merges the signed-in user''s preferences for one service.';
revoke all on function nura.set_my_service_preferences(text, jsonb) from public;
grant execute on function nura.set_my_service_preferences(text, jsonb) to authenticated;
