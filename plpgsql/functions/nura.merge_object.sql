-- A shallow merge of p_changes into p_base where a null value deletes the key: how preferences,
-- metadata and privacy settings are written. p_changes must be an object (PT400 otherwise).
create or replace function nura.merge_object(p_base jsonb, p_changes jsonb, p_what text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if jsonb_typeof(p_changes) is distinct from 'object' then
        perform nura.raise_error('PT400', p_what || ' must be a JSON object',
            'got ' || coalesce(jsonb_typeof(p_changes), 'nothing'));
    end if;
    return (coalesce(p_base, '{}') || p_changes)
           - array(select e.key from jsonb_each(p_changes) e where e.value = 'null');
end
$$;
comment on function nura.merge_object(jsonb, jsonb, text) is 'Merges keys into an object, a null value deleting the key.';
revoke all on function nura.merge_object(jsonb, jsonb, text) from public;
