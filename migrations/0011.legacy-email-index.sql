-- depends: 0010.update-event-per-statement
-- transactional: false
-- The legacy people an account may adopt, by address: the sync looks here on every confirmed
-- write, and a project that imported no one finds it empty at once. Built concurrently, so Auth's
-- writes to public.users never wait for the build; one a crash left half-built is dropped first.
-- (Partial on origin alone: with deleted_at in the predicate, tombstoning a user without an
-- address, as a purge of anonymous users does, could never be a heap-only update.)
drop index concurrently if exists public.users_legacy_email_idx;
create index concurrently users_legacy_email_idx on public.users (lower(email))
    where origin = 'legacy_migration';
