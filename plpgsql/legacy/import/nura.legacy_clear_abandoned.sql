-- Clears the rows a killed import left staged (personal data in a scratch table), unless an
-- import is running. `nura-users reconcile` calls it first, in a transaction of its own.
create or replace function nura.legacy_clear_abandoned()
returns void
language plpgsql
set search_path = ''
as $$
begin
    if exists (select from nura.legacy_rows)
       and pg_catalog.pg_try_advisory_xact_lock(nura.legacy_import_lock()) then
        perform nura.legacy_clear_staging();
    end if;
end
$$;
comment on function nura.legacy_clear_abandoned() is 'Legacy import: clears rows a killed import left staged.';
revoke all on function nura.legacy_clear_abandoned() from public;
