-- The advisory lock that runs the checks recording what they find one at a time.
create or replace function nura.check_lock()
returns bigint
language sql
immutable
set search_path = ''
as $$
select pg_catalog.hashtextextended('nura-users drift check', 0)
$$;
comment on function nura.check_lock() is 'The key of the lock between checks that record their findings.';
revoke all on function nura.check_lock() from public;
