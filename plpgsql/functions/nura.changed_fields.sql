-- The keys of p_new whose values differ from p_old's (all of p_new when p_old is null).
create or replace function nura.changed_fields(p_old jsonb, p_new jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_changed jsonb := '{}';
    k text;
    v jsonb;
begin
    for k, v in select * from jsonb_each(p_new) loop
        if p_old is null or (p_old -> k) is distinct from v then
            v_changed := v_changed || jsonb_build_object(k, v);
        end if;
    end loop;
    return v_changed;
end
$$;
comment on function nura.changed_fields(jsonb, jsonb) is 'The part of p_new that differs from p_old.';
