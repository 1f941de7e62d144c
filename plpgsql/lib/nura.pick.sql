-- The entries of p_from under the keys of p_keys_of: a change's before image.
create or replace function nura.pick(p_from jsonb, p_keys_of jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    return (select jsonb_object_agg(k, p_from -> k) from jsonb_object_keys(p_keys_of) k);
end
$$;
comment on function nura.pick(jsonb, jsonb) is 'The values of p_from under p_keys_of''s keys.';
revoke all on function nura.pick(jsonb, jsonb) from public;
