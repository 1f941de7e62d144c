-- A foreign key's ON UPDATE / ON DELETE action (p_event), as pg_constraint spells it in
-- confupdtype / confdeltype, in the words of ALTER TABLE; '' for the default (no action).
create or replace function nura.foreign_key_action(p_action "char", p_event text)
returns text
language sql
immutable
set search_path = ''
as $$
select coalesce(' on ' || p_event || ' ' || case p_action when 'c' then 'cascade' when 'n' then 'set null'
                                                          when 'd' then 'set default' when 'r' then 'restrict' end, '')
$$;
comment on function nura.foreign_key_action("char", text) is 'Legacy repoint: a foreign key action as SQL.';
revoke all on function nura.foreign_key_action("char", text) from public;
