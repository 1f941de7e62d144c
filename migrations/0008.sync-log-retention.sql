-- depends: 0007.legacy-primary-keys
-- What `nura-users prune` deleted from the sync log, by source and outcome, so that the sync's
-- counts (nura.sync_metrics, the nura_sync_events counter of /metrics) never go down after a prune.
create table nura.sync_log_pruned (
    source text not null,
    success boolean not null,
    pruned bigint not null check (pruned >= 0),
    primary key (source, success)
);
comment on table nura.sync_log_pruned is 'Sync-log rows nura-users prune deleted, by source and outcome.';
