-- Writes a user's profile for one service under the user's lock (so concurrent writers of the
-- same user queue instead of losing updates) and logs what changed under '<type>.<column>' keys
-- (of the object columns, only the keys that changed):
-- p_preferences / p_metadata are merged into service_preferences / service_metadata (a null value
-- deletes a key); p_touch records a use (last_used_at, usage_stats.uses, the user's last_active_at).
-- The row is created on the first write, starting from the type's default preferences.
create or replace function nura.write_service_profile(
    p_user_id uuid,
    p_service_type text,
    p_source text,
    p_preferences jsonb default null,
    p_metadata jsonb default null,
    p_touch boolean default false
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_old jsonb;
    v_new jsonb;
    v_before jsonb;
    v_after jsonb;
begin
    perform nura.locked_user(p_user_id);
    v_old := nura.service_profile(p_user_id, p_service_type);  -- PT404 for an unknown type
    v_new := v_old;
    if p_preferences is not null then
        v_new := v_new || jsonb_build_object('service_preferences',
            nura.merge_object(v_old -> 'service_preferences', p_preferences, 'service_preferences'));
    end if;
    if p_metadata is not null then
        v_new := v_new || jsonb_build_object('service_metadata',
            nura.merge_object(v_old -> 'service_metadata', p_metadata, 'service_metadata'));
    end if;
    if p_touch then
        v_new := v_new || jsonb_build_object(
            'last_used_at', now(),
            'usage_stats', (v_old -> 'usage_stats') || jsonb_build_object('uses',
                case when v_old -> 'usage_stats' ->> 'uses' ~ '^[0-9]{1,18}$'
                     then (v_old -> 'usage_stats' ->> 'uses')::bigint + 1 else 1 end));  -- else restart
        update public.users u set last_active_at = now(), updated_at = now() where u.id = p_user_id;
    end if;
    v_after := nura.changed_fields(v_old, v_new);
    if v_after = '{}' then
        return v_old;
    end if;

    insert into public.user_service_profiles as p (user_id, service_type, service_preferences, service_metadata,
                                                   usage_stats, last_used_at)
    values (p_user_id, p_service_type, v_new -> 'service_preferences', v_new -> 'service_metadata',
            v_new -> 'usage_stats', (v_new ->> 'last_used_at')::timestamptz)
    on conflict (user_id, service_type) do update
       set service_preferences = excluded.service_preferences, service_metadata = excluded.service_metadata,
           usage_stats = excluded.usage_stats, last_used_at = excluded.last_used_at, updated_at = now()
    returning to_jsonb(p) into v_new;

    -- of the object columns, only the keys that changed
    v_after := (select jsonb_object_agg(k, case when jsonb_typeof(v_old -> k) = 'object'
                                               then nura.object_changes(v_old -> k, v_new -> k) else v_new -> k end)
                from jsonb_object_keys(v_after) k);
    v_before := (select jsonb_object_agg(p_service_type || '.' || e.key,
                                         case when jsonb_typeof(v_old -> e.key) = 'object'
                                              then nura.pick(v_old -> e.key, e.value) else v_old -> e.key end)
                 from jsonb_each(v_after) e);
    v_after := (select jsonb_object_agg(p_service_type || '.' || e.key, e.value) from jsonb_each(v_after) e);
    perform nura.write_sync_log(p_user_id, 'service_update', p_source, v_before, v_after,
                                nura.request_header('x-request-id'), nura.request_header('x-session-id'));
    return v_new;
end
$$;
comment on function nura.write_service_profile(uuid, text, text, jsonb, jsonb, boolean) is 'Writes and logs a user''s service profile.';
revoke all on function nura.write_service_profile(uuid, text, text, jsonb, jsonb, boolean) from public;
