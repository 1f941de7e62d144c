-- Writes profile changes (checked by nura.profile_changes) to a user, under the row lock, and
-- logs only what changed (of privacy_settings, only the keys). p_if_match: PT412 unless it is the profile's current etag.
-- p_only_empty: apply only to fields that are empty now. An empty change writes nothing.
create or replace function nura.apply_profile_changes(
    p_user_id uuid,
    p_changes jsonb,
    p_source text,
    p_request_id text default null,
    p_session_id text default null,
    p_if_match text default null,
    p_only_empty boolean default false
)
returns public.users
language plpgsql
set search_path = ''
as $$
declare
    v_user public.users;
    v_row jsonb;
    v_target jsonb := nura.profile_changes(p_changes);
    v_before jsonb;
    v_after jsonb;
begin
    v_user := nura.locked_user(p_user_id);
    v_row := to_jsonb(v_user);
    if p_if_match is not null and p_if_match <> nura.profile_etag(v_user) then
        perform nura.raise_error('PT412', 'the profile changed since it was read',
            'If-Match ' || p_if_match || ' is not the current etag', 'read the profile again and retry');
    end if;
    if v_target ? 'privacy_settings' then
        v_target := v_target || jsonb_build_object('privacy_settings',
            case when v_target -> 'privacy_settings' = 'null' then '{}'
                 else nura.merge_object(v_user.privacy_settings, v_target -> 'privacy_settings', 'privacy_settings') end);
    end if;
    if p_only_empty then
        v_target := (select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(v_target) e
                     where v_row -> e.key in ('null', '""', '{}'));
    end if;
    v_after := nura.changed_fields(v_row, v_target);
    if v_after = '{}' then
        return v_user;
    end if;
    v_before := nura.pick(v_row, v_after);
    if v_after ? 'privacy_settings' then  -- the keys that changed, not both whole objects
        v_after := v_after || jsonb_build_object('privacy_settings',
            nura.object_changes(v_user.privacy_settings, v_after -> 'privacy_settings'));
        v_before := v_before || jsonb_build_object('privacy_settings',
            nura.pick(v_user.privacy_settings, v_after -> 'privacy_settings'));
    end if;

    update public.users u
       set (full_name, display_name, bio, avatar_url, phone_number, privacy_settings, updated_at)
         = (r.full_name, r.display_name, r.bio, r.avatar_url, r.phone_number, r.privacy_settings, now())
      from jsonb_populate_record(v_user, v_target) r
     where u.id = p_user_id
    returning u.* into v_user;
    perform nura.write_sync_log(p_user_id, 'profile_update', p_source, v_before, v_after, p_request_id, p_session_id);
    return v_user;
end
$$;
comment on function nura.apply_profile_changes(uuid, jsonb, text, text, text, text, boolean) is 'Writes checked profile changes and logs them.';
revoke all on function nura.apply_profile_changes(uuid, jsonb, text, text, text, text, boolean) from public;
