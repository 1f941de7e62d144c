-- The advisory lock that keeps an account and an import from each making a row for one person:
-- an account's sync holds it shared while it looks for its legacy person and adopts them; an
-- import batch holds it exclusively only for its last step, matching its new people to accounts
-- confirmed meanwhile. So either the batch sees the account, or the account sees the person.
create or replace function nura.legacy_adoption_lock()
returns bigint
language sql
immutable
set search_path = ''
as $$
select pg_catalog.hashtextextended('nura-users legacy adoption', 0)
$$;
comment on function nura.legacy_adoption_lock() is 'Legacy import: the key of the lock between adoptions and import batches.';
revoke all on function nura.legacy_adoption_lock() from public;
