-- SQLSTATE classes that are not the sync's own error but the transaction's or the server's
-- (serialization failures, insufficient resources, operator intervention, system and internal
-- errors): those must fail the statement, never be swallowed into a log row. A deadlock is the
-- sync's own: the locks in the cycle are the ones it took, and undoing it releases them.
create or replace function nura.is_server_failure(p_sqlstate text)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select left(p_sqlstate, 2) in ('53', '57', '58', 'XX') or (left(p_sqlstate, 2) = '40' and p_sqlstate <> '40P01')
$$;
comment on function nura.is_server_failure(text) is 'Whether an error belongs to the server or transaction rather than to the sync.';
revoke all on function nura.is_server_failure(text) from public;
