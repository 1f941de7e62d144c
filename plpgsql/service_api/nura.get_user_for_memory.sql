-- For the memory service: what it needs of a user, in one call (privacy_level from
-- privacy_settings.memory_privacy, default standard; retention_settings from the memory
-- profile's service_metadata.retention). Null for an unknown or deleted user.
create or replace function nura.get_user_for_memory(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (
        select jsonb_build_object('user_id', u.id,
                                  'privacy_level', coalesce(u.privacy_settings -> 'memory_privacy', '"standard"'),
                                  'memory_preferences', p -> 'service_preferences',
                                  'retention_settings', coalesce(p -> 'service_metadata' -> 'retention', '{}'))
        from public.users u, nura.service_profile(u.id, 'memory') p
        where u.id = p_user_id and u.deleted_at is null);
end
$$;
comment on function nura.get_user_for_memory(uuid) is 'Service API: a user as the memory service reads it.';
revoke all on function nura.get_user_for_memory(uuid) from public;
grant execute on function nura.get_user_for_memory(uuid) to nura_service, service_role;
