-- For the signed-in user: the frontend's sync of its user, made safe. Of p_fields only full_name and
-- phone_number count, and only to fill fields that are empty ("" and null mean "not given");
-- an id other than the signed-in user's is PT403; the rest (email, user_metadata, ...) is ignored.
create or replace function nura.sync_me(p_fields jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id constant uuid := nura.current_user_id();
    v_fields jsonb;
    v_user public.users;
begin
    if jsonb_typeof(p_fields) is distinct from 'object' then
        perform nura.raise_error('PT400', 'the fields must be a JSON object');
    end if;
    if p_fields -> 'id' not in ('null', '""') and lower(p_fields ->> 'id') is distinct from v_id::text then
        perform nura.raise_error('PT403', 'id is not the signed-in user', null, 'send your own id, or none');
    end if;
    v_fields := (select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(p_fields) e
                 where e.key in ('full_name', 'phone_number') and e.value not in ('null', '""'));
    v_user := nura.apply_profile_changes(v_id, v_fields, 'frontend_sync',
        nura.request_header('x-request-id'), nura.request_header('x-session-id'), p_only_empty => true);
    return jsonb_build_object('user', to_jsonb(v_user), 'etag', nura.profile_etag(v_user));
end
$$;
comment on function nura.sync_me(jsonb) is 'User API: fills the signed-in user''s empty profile fields.';
revoke all on function nura.sync_me(jsonb) from public;
grant execute on function nura.sync_me(jsonb) to authenticated;
