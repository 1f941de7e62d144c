-- The merge (as nura.merge_object does it: a null value deletes a key) that turns the object
-- p_old into p_new; p_new null empties it. PT400 when p_new is not an object.
create or replace function nura.object_replacement(p_old jsonb, p_new jsonb, p_field text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_new is not null and jsonb_typeof(p_new) not in ('object', 'null') then
        perform nura.raise_error('PT400', p_field || ' must be a JSON object or null');
    end if;
    return coalesce(nullif(p_new, 'null'), '{}')
        || coalesce((select jsonb_object_agg(k, null)
                     from jsonb_object_keys(case when jsonb_typeof(p_old) = 'object' then p_old end) k
                     where not coalesce(p_new ? k, false)), '{}');
end
$$;
comment on function nura.object_replacement(jsonb, jsonb, text) is 'The merge that turns one JSON object into another.';
revoke all on function nura.object_replacement(jsonb, jsonb, text) from public;
