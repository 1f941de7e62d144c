-- The etag of a user's profile: a digest of the user's id and profile fields only, so it changes
-- when one of them does and never on a sign-in or a backend field; with the id in it, one user's
-- etag never matches another's (two new users hold the same empty fields).
create or replace function nura.profile_etag(p_user public.users)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    return md5(jsonb_build_array(p_user.id, p_user.full_name, p_user.display_name, p_user.bio, p_user.avatar_url,
                                 p_user.phone_number, p_user.privacy_settings)::text);
end
$$;
comment on function nura.profile_etag(public.users) is 'The profile''s etag: a digest of the user id and profile fields.';
revoke all on function nura.profile_etag(public.users) from public;
