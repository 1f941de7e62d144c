-- Whether `legacy switch` has put its view in place of public.<p_table> (the catalog is the
-- state: our trigger on a relation of that name).
create or replace function nura.legacy_switched(p_table text)
returns boolean
language sql
stable
set search_path = ''
as $$
select exists (select from pg_catalog.pg_trigger t
               where t.tgrelid = pg_catalog.to_regclass(pg_catalog.format('public.%I', p_table))
                 and t.tgfoid = pg_catalog.to_regproc('nura.tg_legacy_view_write'))
$$;
comment on function nura.legacy_switched(text) is 'Legacy switch: whether the table is switched to its view.';
revoke all on function nura.legacy_switched(text) from public;
