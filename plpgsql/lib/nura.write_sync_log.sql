-- Writes one successful sync-log row and returns its id.
create or replace function nura.write_sync_log(
    p_user_id uuid,
    p_sync_type text,
    p_source text,
    p_before jsonb,
    p_after jsonb,
    p_request_id text default null,
    p_session_id text default null
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_id bigint;
begin
    insert into public.user_sync_logs
        (user_id, sync_type, source, before_data, after_data, success, request_id, session_id)
    values
        (p_user_id, p_sync_type, p_source, p_before, p_after, true, p_request_id, p_session_id)
    returning id into v_id;
    return v_id;
end
$$;
comment on function nura.write_sync_log(uuid, text, text, jsonb, jsonb, text, text) is 'Logs a successful sync.';
revoke all on function nura.write_sync_log(uuid, text, text, jsonb, jsonb, text, text) from public;
