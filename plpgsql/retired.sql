-- Functions of earlier releases that nothing calls any more (or whose signature changed), dropped
-- by every `migrate` in the same transaction that applies the definitions replacing them, so a
-- running sync never finds a function gone. Keep a line here until no install can have it.
drop function if exists nura.erase_personal(jsonb, text[]);     -- nura.tombstone_users deletes the log rows
drop function if exists nura.personal_fields();                 -- nura.tombstone_users clears every column
drop function if exists nura.record_sync_failure(uuid, text, text, text, text);  -- nura.log_sync_failure
drop function if exists nura.install_auth_users_trigger(text, text);  -- nura.install_trigger
drop function if exists nura.removed_sync_counts();               -- nura.counted_sync_logs
drop function if exists nura.backfill_users(uuid, integer);  -- walked by page: nura.backfill_users(bigint, integer)
