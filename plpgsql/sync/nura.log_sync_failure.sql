-- Logs a sync that failed and was undone. Only the SQLSTATE, the message and the names of the
-- fields the failed write changed are kept (p_fields, an object of nulls; null when unknown or
-- the whole image): an error's detail can quote the row, and the row is personal data. Reconcile
-- re-applies just those fields. The user's row is waited for first (a deletion holding it may be
-- erasing their log), and a deleted user's failure keeps its SQLSTATE only. Never raises: if even
-- the log cannot be written, the auth write must still go through, so it degrades to a warning.
create or replace function nura.log_sync_failure(
    p_user_id uuid,
    p_sync_type text,
    p_source text,
    p_sqlstate text,
    p_message text,
    p_fields jsonb
)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_deleted boolean;
begin
    begin
        select u.deleted_at is not null into v_deleted from public.users u where u.id = p_user_id for key share;
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;  -- the failure may be that public.users cannot be read or locked: log all the same
    end;
    insert into public.user_sync_logs (user_id, sync_type, source, after_data, success, error_message)
    values (p_user_id, p_sync_type, p_source, (select jsonb_object_agg(k, null) from jsonb_object_keys(p_fields) k), false,
            p_sqlstate || ': ' || case when v_deleted then 'erased' else p_message end);
exception when others then
    raise warning 'nura-users: sync of user % failed (%: %) and could not be logged (%: %)',
        p_user_id, p_sqlstate, p_message, sqlstate, sqlerrm;
end
$$;
comment on function nura.log_sync_failure(uuid, text, text, text, text, jsonb) is 'Logs a failed, undone sync with the user''s id; never raises.';
revoke all on function nura.log_sync_failure(uuid, text, text, text, text, jsonb) from public;
