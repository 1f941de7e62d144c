-- How the sync is doing, one row per source of changes: the log rows counted so far (those
-- deleted since, pruned or erased with their user, included, so the totals never go down) and
-- the rows written since, which the incremental check counts as it goes (nura.check_changes).
create or replace view nura.sync_metrics as
select e.source,
       sum(e.succeeded + e.failed)::bigint as total,
       sum(e.succeeded)::bigint as succeeded,
       sum(e.failed)::bigint as failed,
       round(sum(e.succeeded) / sum(e.succeeded + e.failed), 4) as success_rate,
       max(e.last_success_at) as last_success_at,
       max(e.last_failure_at) as last_failure_at
from (
    select l.source, count(*) filter (where l.success) as succeeded, count(*) filter (where not l.success) as failed,
           max(l.created_at) filter (where l.success) as last_success_at,
           max(l.created_at) filter (where not l.success) as last_failure_at
    from public.user_sync_logs l
    where l.id > nura.sync_log_counted_through()
    group by l.source
    union all
    select r.source, r.succeeded, r.failed, r.last_success_at, r.last_failure_at
    from nura.counted_sync_logs() r
) e
group by e.source;
comment on view nura.sync_metrics is 'Sync outcomes per source: totals, success rate, last success and failure.';
revoke all on nura.sync_metrics from public;
grant select on nura.sync_metrics to nura_service, service_role;
