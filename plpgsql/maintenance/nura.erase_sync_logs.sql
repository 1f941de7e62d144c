-- Deletes the sync-log rows of deleted users but their deletion's own (which holds nothing
-- personal), counting in nura.sync_log_removed those the sync's count has not reached, and the
-- drift problems recorded of them (a failure's detail quotes its error).
create or replace function nura.erase_sync_logs(p_user_ids uuid[])
returns void
language plpgsql
set search_path = ''
-- each user's rows found by its index, never the whole log hashed (see nura.tombstone_users)
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
    v_counted_through constant bigint := nura.lock_log_count();
    v_removed jsonb;
begin
    with gone as (
        delete from public.user_sync_logs l using unnest(p_user_ids) as t(id)
         where l.user_id = t.id and l.sync_type <> 'delete'
        returning l.id, l.source, l.success, l.created_at
    )
    select jsonb_agg(g) into v_removed
    from (select source, success, count(*) as removed, max(created_at) as last_at from gone where id > v_counted_through group by source, success) g;
    perform nura.count_removed_logs(v_removed);
    if to_regclass('nura.drift_problems') is not null then
        delete from nura.drift_problems d where d.user_id = any(p_user_ids);
    end if;
end
$$;
comment on function nura.erase_sync_logs(uuid[]) is 'Erases deleted users'' sync-log rows, counting them.';
revoke all on function nura.erase_sync_logs(uuid[]) from public;
