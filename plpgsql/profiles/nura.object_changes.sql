-- The keys whose values differ between two JSON objects, with p_new's values (null for a key
-- p_new lacks): what a log row keeps of a change to an object field, instead of both whole
-- objects. nura.pick(p_old, <this>) is the matching before image.
create or replace function nura.object_changes(p_old jsonb, p_new jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if jsonb_typeof(p_old) is distinct from 'object' or jsonb_typeof(p_new) is distinct from 'object' then
        return p_new;
    end if;
    return coalesce((select jsonb_object_agg(k, p_new -> k)
                     from (select jsonb_object_keys(p_old) union select jsonb_object_keys(p_new)) as keys(k)
                     where p_old -> k is distinct from p_new -> k), '{}');
end
$$;
comment on function nura.object_changes(jsonb, jsonb) is 'The changed keys of an object field, with their new values.';
revoke all on function nura.object_changes(jsonb, jsonb) from public;
