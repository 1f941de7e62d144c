-- The etag of a user's profile: a digest of the profile fields only, so it changes when one of
-- them does and never on a sign-in or a backend field.
create or replace function nura.profile_etag(p_user public.users)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    return md5(jsonb_build_array(p_user.full_name, p_user.display_name, p_user.bio, p_user.avatar_url,
                                 p_user.phone_number, p_user.privacy_settings)::text);
end
$$;
comment on function nura.profile_etag(public.users) is 'The profile''s etag: a digest of its profile fields.';
revoke all on function nura.profile_etag(public.users) from public;
