-- depends: 0010.update-event-per-statement
-- transactional: false
-- The legacy people an account may adopt, by address: the sync looks here on every confirmed
-- write, and a project that imported no one finds it empty at once. Built concurrently, so Auth's
-- writes to public.users never wait for the build (`migrate` retries it if an open transaction
-- keeps it waiting past the lock timeout); one a crash left half-built is dropped first.
set lock_timeout = '2s';
set statement_timeout = 0;
drop index concurrently if exists public.users_legacy_email_idx;
-- (Not `and deleted_at is null` too: a column in the predicate would keep every tombstoning
-- update from being a heap-only one.)
create index concurrently users_legacy_email_idx on public.users (lower(email))
    where origin = 'legacy_migration';
