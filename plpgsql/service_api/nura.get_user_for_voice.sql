-- For the voice service: what it needs of a user, in one call (call_history from the voice
-- profile's service_metadata). Null for an unknown or deleted user.
create or replace function nura.get_user_for_voice(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (
        select jsonb_build_object('id', u.id, 'name', u.full_name, 'phone', u.phone_number,
                                  'voice_preferences', p -> 'service_preferences',
                                  'call_history', coalesce(p -> 'service_metadata' -> 'call_history', '[]'))
        from public.users u, nura.service_profile(u.id, 'voice') p
        where u.id = p_user_id and u.deleted_at is null);
end
$$;
comment on function nura.get_user_for_voice(uuid) is 'Service API: a user as the voice service reads it.';
revoke all on function nura.get_user_for_voice(uuid) from public;
grant execute on function nura.get_user_for_voice(uuid) to nura_service, service_role;
