-- The table holding a legacy table's rows: public.<p_table>, or public.legacy_<p_table> while
-- it is switched; null when there is none.
create or replace function nura.legacy_source(p_table text)
returns regclass
language sql
stable
set search_path = ''
as $$
select pg_catalog.to_regclass(pg_catalog.format('public.%I',
    case when nura.legacy_switched(p_table) then 'legacy_' || p_table else p_table end))
$$;
comment on function nura.legacy_source(text) is 'Legacy import: the table a legacy table''s rows are in.';
revoke all on function nura.legacy_source(text) from public;
