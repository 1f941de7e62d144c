-- SQLSTATE classes that are not the sync's own error but the transaction's or the server's
-- (serialization failure and deadlock, insufficient resources, operator intervention, system
-- and internal errors): those must fail the statement, never be swallowed into a log row.
create or replace function nura.is_server_failure(p_sqlstate text)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select left(p_sqlstate, 2) in ('40', '53', '57', '58', 'XX')
$$;
comment on function nura.is_server_failure(text) is 'Whether an error belongs to the server or transaction rather than to the sync.';
revoke all on function nura.is_server_failure(text) from public;
