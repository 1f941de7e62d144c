-- The sync log's rows counted already, by source, for nura.sync_metrics, which adds the rows
-- beyond nura.sync_log_counted_through(): those up to it (nura.sync_log_counts) and those deleted beyond it (pruned, or
-- erased with their user: nura.sync_log_removed). Its readers run it, so it is granted to them
-- and reads the tables as their owner. Guarded: after a rollback past the count's migration
-- nothing is counted up to a point, and past the removals' there are none.
create or replace function nura.counted_sync_logs()
returns table (source text, succeeded bigint, failed bigint,
               last_success_at timestamptz, last_failure_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.sync_log_counts') is not null then
        return query
            select c.source, coalesce(sum(c.logged) filter (where c.success), 0)::bigint,
                   coalesce(sum(c.logged) filter (where not c.success), 0)::bigint,
                   max(c.last_at) filter (where c.success), max(c.last_at) filter (where not c.success)
            from nura.sync_log_counts c
            group by c.source;
    end if;
    if to_regclass('nura.sync_log_removed') is not null then
        return query
            select r.source, coalesce(sum(r.removed) filter (where r.success), 0)::bigint,
                   coalesce(sum(r.removed) filter (where not r.success), 0)::bigint,
                   max(r.last_at) filter (where r.success), max(r.last_at) filter (where not r.success)
            from nura.sync_log_removed r
            group by r.source;
    end if;
end
$$;
comment on function nura.counted_sync_logs() is 'Sync-log rows counted up to a point, and deleted beyond it, by source and outcome.';
revoke all on function nura.counted_sync_logs() from public;
grant execute on function nura.counted_sync_logs() to nura_service, service_role;
