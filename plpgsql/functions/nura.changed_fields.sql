-- The keys of p_new whose values differ from p_old's (all of p_new when p_old is null).
create or replace function nura.changed_fields(p_old jsonb, p_new jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select coalesce(jsonb_object_agg(n.key, n.value), '{}')
    from jsonb_each(p_new) as n
    where p_old is null or (p_old -> n.key) is distinct from n.value
$$;
comment on function nura.changed_fields(jsonb, jsonb) is 'The part of p_new that differs from p_old.';
