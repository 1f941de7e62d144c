-- A shallow merge of p_changes into p_base where a null value deletes the key: how preferences,
-- metadata and privacy settings are written. p_changes must be an object, and the merged object
-- must fit p_what's limit (privacy_settings 8 KiB, service_preferences and service_metadata
-- 64 KiB, as JSON text): PT400 otherwise.
create or replace function nura.merge_object(p_base jsonb, p_changes jsonb, p_what text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_limit constant integer := case p_what when 'privacy_settings' then 8192 else 65536 end;
    v_merged jsonb;
begin
    if jsonb_typeof(p_changes) is distinct from 'object' then
        perform nura.raise_error('PT400', p_what || ' must be a JSON object',
            'got ' || coalesce(jsonb_typeof(p_changes), 'nothing'));
    end if;
    v_merged := (coalesce(p_base, '{}') || p_changes)
                - array(select e.key from jsonb_each(p_changes) e where e.value = 'null');
    if octet_length(v_merged::text) > v_limit then
        perform nura.raise_error('PT400', format('%s would be larger than %s KiB', p_what, v_limit / 1024),
            format('%s bytes once merged', octet_length(v_merged::text)), 'remove keys (set them to null) to make room');
    end if;
    return v_merged;
end
$$;
comment on function nura.merge_object(jsonb, jsonb, text) is 'Merges keys into an object, a null value deleting the key, within its size limit.';
revoke all on function nura.merge_object(jsonb, jsonb, text) from public;
