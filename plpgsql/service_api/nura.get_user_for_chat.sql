-- For the chat service: what it needs of a user, in one call. Null for an unknown or deleted user.
create or replace function nura.get_user_for_chat(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (
        select jsonb_build_object('id', u.id, 'email', u.email, 'full_name', u.full_name,
                                  'privacy_settings', u.privacy_settings,
                                  'chat_preferences', nura.service_profile(u.id, 'chat') -> 'service_preferences')
        from public.users u
        where u.id = p_user_id and u.deleted_at is null);
end
$$;
comment on function nura.get_user_for_chat(uuid) is 'Service API: a user as the chat service reads it.';
revoke all on function nura.get_user_for_chat(uuid) from public;
grant execute on function nura.get_user_for_chat(uuid) to nura_service, service_role;
