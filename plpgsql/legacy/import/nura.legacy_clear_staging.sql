-- Empties nura.legacy_rows, the import's copy of every legacy row: before an import plans, and
-- when it ends, however it ends. TRUNCATE waits for deletions of users that are clearing their
-- staged rows, and would hold up the ones after it while it waits: never long, else row by row.
create or replace function nura.legacy_clear_staging()
returns void
language plpgsql
set search_path = ''
set lock_timeout = '1s'  -- for this call only
as $$
begin
    truncate nura.legacy_rows;
exception when lock_not_available then
    delete from nura.legacy_rows;
end
$$;
comment on function nura.legacy_clear_staging() is 'Legacy import: empties the staged legacy rows.';
revoke all on function nura.legacy_clear_staging() from public;
