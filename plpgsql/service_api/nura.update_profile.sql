-- For services: changes a user's profile fields (see nura.profile_changes), logged with p_source.
create or replace function nura.update_profile(
    p_user_id uuid,
    p_changes jsonb,
    p_source text default 'backend_api',
    p_request_id text default null,
    p_session_id text default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
    if p_source is null or p_source not in ('backend_api', 'frontend_sync', 'supabase_webhook', 'legacy_migration') then
        perform nura.raise_error('PT400', 'p_source must be a source of profile changes',
            'got ' || coalesce(p_source, 'null'), 'backend_api, frontend_sync, supabase_webhook or legacy_migration');
    end if;
    return to_jsonb(nura.apply_profile_changes(p_user_id, p_changes, p_source, p_request_id, p_session_id));
end
$$;
comment on function nura.update_profile(uuid, jsonb, text, text, text) is 'Service API: changes a user''s profile fields.';
revoke all on function nura.update_profile(uuid, jsonb, text, text, text) from public;
grant execute on function nura.update_profile(uuid, jsonb, text, text, text) to nura_service, service_role;
