-- The advisory lock an import's runner holds for its whole run (one import at a time): free
-- means no import is under way, so what is staged was left by one that was killed.
create or replace function nura.legacy_import_lock()
returns bigint
language sql
immutable
set search_path = ''
as $$
select pg_catalog.hashtextextended('nura-users legacy import', 0)
$$;
comment on function nura.legacy_import_lock() is 'Legacy import: the key of the lock an import holds while it runs.';
revoke all on function nura.legacy_import_lock() from public;
