-- For the signed-in user: changes their profile fields (see nura.profile_changes). With
-- p_if_match, PT412 unless it is the current etag; without it the last write wins.
create or replace function nura.update_my_profile(p_changes jsonb, p_if_match text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_user public.users;
begin
    v_user := nura.apply_profile_changes(nura.current_user_id(), p_changes, 'frontend_sync',
        nura.request_header('x-request-id'), nura.request_header('x-session-id'), p_if_match);
    return jsonb_build_object('user', to_jsonb(v_user), 'etag', nura.profile_etag(v_user));
end
$$;
comment on function nura.update_my_profile(jsonb, text) is 'User API: changes the signed-in user''s profile.';
revoke all on function nura.update_my_profile(jsonb, text) from public;
grant execute on function nura.update_my_profile(jsonb, text) to authenticated;
