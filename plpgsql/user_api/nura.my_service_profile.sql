-- For the signed-in user: their profile for one service (its defaults if never written).
-- PT404 for an unknown service type, or a deleted or unsynced user.
create or replace function nura.my_service_profile(p_service_type text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return nura.service_profile((nura.signed_in_user()).id, p_service_type);
end
$$;
comment on function nura.my_service_profile(text) is 'User API: the signed-in user''s profile for one service.';
revoke all on function nura.my_service_profile(text) from public;
grant execute on function nura.my_service_profile(text) to authenticated;
