-- depends: 0007.legacy-primary-keys
-- The sync-log rows deleted since (by `nura-users prune`, or erased with their user), by source
-- and outcome, so that the sync's counts (nura.sync_metrics, the nura_sync_events counter of
-- /metrics) never go down. Append-only, so that concurrent deletions never wait for each other
-- on a counter; prune folds it into one row per source and outcome.
create table nura.sync_log_removed (
    id bigint generated always as identity primary key,
    source text not null,
    success boolean not null,
    removed bigint not null check (removed > 0),
    last_at timestamptz not null  -- the newest of them
);
comment on table nura.sync_log_removed is 'Sync-log rows deleted (pruned or erased), by source and outcome.';
