-- nura.apply_auth_user, but an error of the sync's own is undone alone and logged with
-- success = false and the names of the fields the failed write changed, so that the auth write
-- it rides on goes through. Reconcile repairs it, applying just those fields.
create or replace function nura.sync_auth_user(p_old auth.users, p_new auth.users, p_source text)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_sqlstate text;
    v_message text;
    v_fields jsonb;  -- null: the whole image (a create), or not known
begin
    perform nura.apply_auth_user(p_old, p_new, p_source);
exception when others then
    if nura.is_server_failure(sqlstate) then
        raise;
    end if;
    v_sqlstate := sqlstate;
    v_message := sqlerrm;
    if p_old.id is not null and p_new.id is not null then
        begin
            v_fields := nura.changed_fields(nura.auth_user_fields(p_old), nura.auth_user_fields(p_new));
        exception when others then
            if nura.is_server_failure(sqlstate) then
                raise;
            end if;
        end;
    end if;
    perform nura.log_sync_failure(
        coalesce(p_new.id, p_old.id),
        case when p_new.id is null or p_new.deleted_at is not null then 'delete'
             when p_old.id is null then 'create' else 'update' end,
        p_source, v_sqlstate, v_message, v_fields);
end
$$;
comment on function nura.sync_auth_user(auth.users, auth.users, text) is 'Applies one auth row image; a failure is logged, never raised.';
revoke all on function nura.sync_auth_user(auth.users, auth.users, text) from public;
