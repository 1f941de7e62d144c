-- How the sync is doing, one row per source of changes.
create or replace view nura.sync_metrics as
select source,
       count(*) as total,
       count(*) filter (where success) as succeeded,
       count(*) filter (where not success) as failed,
       round(count(*) filter (where success)::numeric / count(*), 4) as success_rate,
       max(created_at) filter (where success) as last_success_at,
       max(created_at) filter (where not success) as last_failure_at
from public.user_sync_logs
group by source;
comment on view nura.sync_metrics is 'Sync outcomes per source: totals, success rate, last success and failure.';
revoke all on nura.sync_metrics from public;
grant select on nura.sync_metrics to nura_service, service_role;
