-- Puts one of our triggers on p_table where it is missing (Supabase CLI diffs and restores drop
-- the ones on auth.users) and enables it where it was disabled. An existing trigger is left as
-- it is, so `migrate` takes no lock on the table when nothing is wrong; a release that changes
-- a trigger's definition drops the old one in a migration.
create or replace function nura.install_trigger(p_table regclass, p_name text, p_definition text)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_enabled "char";
begin
    select g.tgenabled into v_enabled
    from pg_catalog.pg_trigger g
    where g.tgrelid = p_table and g.tgname = p_name;
    if not found then
        execute p_definition;
    elsif v_enabled not in ('O', 'A') then
        execute format('alter table %s enable trigger %I', p_table, p_name);
    end if;
end
$$;
comment on function nura.install_trigger(regclass, text, text) is 'Installs or re-enables one of our triggers.';
revoke all on function nura.install_trigger(regclass, text, text) from public;
