-- A user's profile for one service as JSON: the row, or (never written yet) the row it would be,
-- holding the type's default preferences. PT404 for an unknown service type.
create or replace function nura.service_profile(p_user_id uuid, p_service_type text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    v_defaults jsonb;
begin
    select t.default_preferences into v_defaults from nura.service_types t where t.service_type = p_service_type;
    if not found then
        perform nura.raise_error('PT404', 'no such service type', 'service type ' || coalesce(p_service_type, 'null')
            || ' is not registered', 'registered types are the rows of nura.service_types');
    end if;
    return coalesce(
        (select to_jsonb(p) from public.user_service_profiles p
         where p.user_id = p_user_id and p.service_type = p_service_type),
        jsonb_build_object('id', null, 'user_id', p_user_id, 'service_type', p_service_type,
            'service_preferences', v_defaults, 'service_metadata', '{}'::jsonb, 'usage_stats', '{}'::jsonb,
            'onboarding_completed', false, 'created_at', null, 'updated_at', null, 'last_used_at', null));
end
$$;
comment on function nura.service_profile(uuid, text) is 'A service profile as JSON, the type''s defaults if never written.';
revoke all on function nura.service_profile(uuid, text) from public;
