-- Deletes the sync-log rows of deleted users but their deletion's own (which holds nothing
-- personal), counting them in nura.sync_log_removed.
create or replace function nura.erase_sync_logs(p_user_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_removed jsonb;
begin
    with gone as (
        delete from public.user_sync_logs l using unnest(p_user_ids) as t(id)
         where l.user_id = t.id and l.sync_type <> 'delete'
        returning l.source, l.success, l.created_at
    )
    select jsonb_agg(g) into v_removed
    from (select source, success, count(*) as removed, max(created_at) as last_at from gone group by source, success) g;
    perform nura.count_removed_logs(v_removed);
end
$$;
comment on function nura.erase_sync_logs(uuid[]) is 'Erases deleted users'' sync-log rows, counting them.';
revoke all on function nura.erase_sync_logs(uuid[]) from public;
