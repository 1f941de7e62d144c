-- depends: 0009.incremental-check
-- The per-row UPDATE trigger on auth.users gets a WHEN clause (one event per statement): dropped
-- here, it is installed anew from plpgsql/ in this same transaction.
drop trigger if exists tg_auth_users__sync_update on auth.users;
