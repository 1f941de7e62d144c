-- Checks a profile change set and returns it ready to apply: an object whose keys are among
-- full_name, display_name, bio, avatar_url, phone_number, privacy_settings; a null clears the
-- field (privacy_settings: a null value deletes one key, like preferences). Anything else is
-- PT400 naming the field.
create or replace function nura.profile_changes(p_changes jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_limits constant jsonb := '{"full_name": 200, "display_name": 200, "bio": 2000, "avatar_url": 2048}'::jsonb;
    k text;
    v jsonb;
begin
    if jsonb_typeof(p_changes) is distinct from 'object' then
        perform nura.raise_error('PT400', 'the profile changes must be a JSON object',
            'got ' || coalesce(jsonb_typeof(p_changes), 'nothing'));
    end if;
    for k, v in select * from jsonb_each(p_changes) loop
        if k = 'privacy_settings' then
            if jsonb_typeof(v) not in ('object', 'null') then
                perform nura.raise_error('PT400', 'privacy_settings must be an object or null', null,
                    'keys set to null are removed, the others merged');
            end if;
        elsif k = 'phone_number' then
            if jsonb_typeof(v) <> 'null' and (jsonb_typeof(v) <> 'string' or v #>> '{}' !~ '^\+[0-9]{8,15}$') then
                perform nura.raise_error('PT400', 'phone_number must be an E.164 number or null', null,
                    'a + and 8 to 15 digits, e.g. +4915112345678');
            end if;
        elsif v_limits ? k then
            if jsonb_typeof(v) = 'null' then
                continue;
            elsif jsonb_typeof(v) <> 'string' then
                perform nura.raise_error('PT400', k || ' must be a string or null', 'got ' || jsonb_typeof(v));
            elsif char_length(v #>> '{}') > (v_limits ->> k)::integer then
                perform nura.raise_error('PT400', k || ' is longer than ' || (v_limits ->> k) || ' characters');
            elsif k = 'avatar_url' and v #>> '{}' !~* '^https?://[^[:space:]]+$' then
                perform nura.raise_error('PT400', 'avatar_url must be an http(s) URL');
            end if;
        else
            perform nura.raise_error('PT400', k || ' is not a profile field', null,
                'profile fields: full_name, display_name, bio, avatar_url, phone_number, privacy_settings');
        end if;
    end loop;
    return p_changes;
end
$$;
comment on function nura.profile_changes(jsonb) is 'Validates a profile change set; PT400 names the offending field.';
revoke all on function nura.profile_changes(jsonb) from public;
