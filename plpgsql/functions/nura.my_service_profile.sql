-- For the signed-in user: their profile for one service (its defaults if never written).
-- PT404 for an unknown service type, or a deleted or unsynced user.
create or replace function nura.my_service_profile(p_service_type text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_id constant uuid := nura.current_user_id();
begin
    if not exists (select from public.users u where u.id = v_id and u.deleted_at is null) then
        perform nura.raise_error('PT404', 'no such user', 'the signed-in user is not synced or was deleted');
    end if;
    return nura.service_profile(v_id, p_service_type);
end
$$;
comment on function nura.my_service_profile(text) is 'User API: the signed-in user''s profile for one service.';
revoke all on function nura.my_service_profile(text) from public;
grant execute on function nura.my_service_profile(text) to authenticated;
