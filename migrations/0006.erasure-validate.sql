-- depends: 0005.erasure
-- Checks the existing rows against 0005's constraint; takes no lock that blocks writes.
alter table public.users validate constraint users_tombstone_holds_nothing_personal;
