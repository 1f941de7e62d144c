-- For services: the user's profile for a service (its defaults if never written), null if the
-- user is unknown or deleted, PT404 for an unknown service type.
create or replace function nura.get_service_profile(p_user_id uuid, p_service_type text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_profile jsonb := nura.service_profile(p_user_id, p_service_type);
begin
    if not exists (select from public.users u where u.id = p_user_id and u.deleted_at is null) then
        return null;
    end if;
    return v_profile;
end
$$;
comment on function nura.get_service_profile(uuid, text) is 'Service API: a user''s profile for one service.';
revoke all on function nura.get_service_profile(uuid, text) from public;
grant execute on function nura.get_service_profile(uuid, text) to nura_service, service_role;
