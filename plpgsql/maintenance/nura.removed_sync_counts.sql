-- The sync-log rows deleted (pruned, or erased with their user), by source, for
-- nura.sync_metrics, whose readers run it (so it is granted to them, and reads the table as its
-- owner). Guarded: after a rollback past the table's migration there is nothing to add.
create or replace function nura.removed_sync_counts()
returns table (source text, succeeded bigint, failed bigint, last_success_at timestamptz, last_failure_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.sync_log_removed') is null then
        return;
    end if;
    return query
        select r.source, coalesce(sum(r.removed) filter (where r.success), 0)::bigint,
               coalesce(sum(r.removed) filter (where not r.success), 0)::bigint,
               max(r.last_at) filter (where r.success), max(r.last_at) filter (where not r.success)
        from nura.sync_log_removed r
        group by r.source;
end
$$;
comment on function nura.removed_sync_counts() is 'Sync-log rows deleted, by source and outcome.';
revoke all on function nura.removed_sync_counts() from public;
grant execute on function nura.removed_sync_counts() to nura_service, service_role;
