-- For the signed-in user: their row, their service profiles keyed by type (the type's defaults
-- for those never written), and the profile's etag. PT401 without a user, PT404 if deleted or
-- not synced yet.
create or replace function nura.me()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_user constant public.users := nura.signed_in_user();
begin
    return jsonb_build_object(
        'user', to_jsonb(v_user),
        'service_profiles', (select jsonb_object_agg(t.service_type, nura.service_profile(v_user.id, t.service_type))
                             from nura.service_types t),
        'etag', nura.profile_etag(v_user));
end
$$;
comment on function nura.me() is 'User API: the signed-in user, their service profiles and etag.';
revoke all on function nura.me() from public;
grant execute on function nura.me() to authenticated;
