-- For a statement about to delete sync-log rows: holds the count's lock shared until commit and
-- returns the id up to which the log is counted already (nura.sync_log_counts); only the rows
-- deleted beyond it are to be counted as removed. Guarded: after a rollback past the count's
-- migration, every row deleted is counted as removed, as before it.
create or replace function nura.lock_log_count()
returns bigint
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.pg_advisory_xact_lock_shared(nura.log_count_lock());
    return nura.sync_log_counted_through();
end
$$;
comment on function nura.lock_log_count() is 'Locks the sync log''s count against moving; returns how far it has counted.';
revoke all on function nura.lock_log_count() from public;
