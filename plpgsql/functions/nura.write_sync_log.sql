-- Writes one successful sync-log row and returns its id. Supabase Auth changes a user with
-- several UPDATEs in one transaction; the changes an auth flow makes to one user are folded into
-- the row its first change wrote, so the log holds one row per flow, not one per statement.
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
    v_flow text := current_setting('nura.sync_log_of_flow', true);
    v_id bigint;
begin
    if p_source = 'supabase_auth' and v_flow like p_user_id::text || '/%' then
        v_id := split_part(v_flow, '/', 2)::bigint;
        update public.user_sync_logs
           set before_data = case when sync_type = 'create' then null
                                  else p_before || coalesce(before_data, '{}') end,
               after_data = coalesce(after_data, '{}') || p_after
         where id = v_id;
        if found then
            return v_id;
        end if;
    end if;

    insert into public.user_sync_logs
        (user_id, sync_type, source, before_data, after_data, success, request_id, session_id)
    values
        (p_user_id, p_sync_type, p_source, p_before, p_after, true, p_request_id, p_session_id)
    returning id into v_id;

    if p_source = 'supabase_auth' then
        -- transaction-local, and undone with a rolled-back subtransaction like the row itself
        perform set_config('nura.sync_log_of_flow', p_user_id::text || '/' || v_id, true);
    end if;
    return v_id;
end
$$;
comment on function nura.write_sync_log(uuid, text, text, jsonb, jsonb, text, text) is 'Logs a successful sync, folding one auth flow''s changes into one row.';
