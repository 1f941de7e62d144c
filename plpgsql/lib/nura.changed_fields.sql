-- The keys of p_new whose values differ from p_old's (all of p_new when p_old is null).
create or replace function nura.changed_fields(p_old jsonb, p_new jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_old is null then
        return p_new;
    end if;
    return coalesce((select jsonb_object_agg(n.key, n.value)
                     from jsonb_each(p_new) n
                     where (p_old -> n.key) is distinct from n.value), '{}');
end
$$;
comment on function nura.changed_fields(jsonb, jsonb) is 'The part of p_new that differs from p_old.';
revoke all on function nura.changed_fields(jsonb, jsonb) from public;
