-- Logs a sync that failed and was undone. Only the SQLSTATE, the message and the names of the
-- fields the failed write changed are kept (p_fields, an object of nulls; null when unknown or
-- the whole image): an error's detail can quote the row, and the row is personal data. Reconcile
-- re-applies just those fields. Never raises: if even the log cannot be written, the auth write
-- must still go through, so it degrades to a server warning.
create or replace function nura.record_sync_failure(
    p_user_id uuid,
    p_sync_type text,
    p_source text,
    p_sqlstate text,
    p_message text,
    p_fields jsonb default null
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    insert into public.user_sync_logs (user_id, sync_type, source, after_data, success, error_message)
    values (p_user_id, p_sync_type, p_source, nura.erased_log_image(p_fields), false, p_sqlstate || ': ' || p_message);
exception when others then
    raise warning 'nura-users: sync of user % failed (%: %) and could not be logged (%: %)',
        p_user_id, p_sqlstate, p_message, sqlstate, sqlerrm;
end
$$;
comment on function nura.record_sync_failure(uuid, text, text, text, text, jsonb) is 'Logs a failed, undone sync with the user''s id; never raises.';
revoke all on function nura.record_sync_failure(uuid, text, text, text, text, jsonb) from public;
