-- Records sync-log rows just deleted in nura.sync_log_removed. p_removed: what the deleting
-- statement returned, grouped: [{source, success, removed, last_at}] (null when none went).
-- Guarded: after a rollback past the table's migration, a deletion goes on uncounted.
create or replace function nura.count_removed_logs(p_removed jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
    if p_removed is null or to_regclass('nura.sync_log_removed') is null then
        return;
    end if;
    insert into nura.sync_log_removed (source, success, removed, last_at)
    select r.source, r.success, r.removed, r.last_at
    from jsonb_to_recordset(p_removed) as r(source text, success boolean, removed bigint, last_at timestamptz);
end
$$;
comment on function nura.count_removed_logs(jsonb) is 'Counts deleted sync-log rows in nura.sync_log_removed.';
revoke all on function nura.count_removed_logs(jsonb) from public;
