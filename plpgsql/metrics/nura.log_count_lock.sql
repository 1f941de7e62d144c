-- The advisory lock between counting the sync log and deleting from it: a deletion holds it
-- shared while it deletes and counts what it deleted beyond nura.check_state.counted_through;
-- the count holds it exclusively while it moves that point, so no row is counted twice or never.
create or replace function nura.log_count_lock()
returns bigint
language sql
immutable
set search_path = ''
as $$
select pg_catalog.hashtextextended('nura-users sync log count', 0)
$$;
comment on function nura.log_count_lock() is 'The key of the lock between counting the sync log and deleting from it.';
revoke all on function nura.log_count_lock() from public;
