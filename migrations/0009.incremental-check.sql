-- depends: 0008.sync-log-retention
-- What the scheduled readers (/metrics, `status`, a cron job) need without reading every user or
-- the whole log: the drift problems known so far, updated from the log rows written since the
-- last look (nura.check_changes); the sync log's rows counted up to a point; the users' counts.

-- The problems the last full check found, kept current by nura.check_changes for every user a
-- log row names since. trigger_missing and adoption_blocked are read where they live, not kept.
create table nura.drift_problems (
    user_id uuid not null,
    problem text not null check (problem in ('missing', 'stale', 'failed', 'orphaned')),
    detail jsonb not null,
    found_at timestamptz not null default now(),
    primary key (user_id, problem)
);
comment on table nura.drift_problems is 'Drift problems known from the last full check and the log since.';

-- One row. The log rows up to checked_through have been looked at by a check; those up to
-- counted_through are in nura.sync_log_counts. Both move only to a point no transaction can still
-- write below: pending_log_id, the newest log row a run saw, once every transaction that was
-- running then (an xid below pending_xmax) has ended.
create table nura.check_state (
    one_row boolean primary key default true check (one_row),
    checked_through bigint not null,
    counted_through bigint not null,
    pending_log_id bigint,
    pending_xmax xid8,
    rechecked_through uuid,  -- the known problems are looked at again a slice at a time, by user id
    changes_checked_at timestamptz,
    full_check_at timestamptz
);
comment on table nura.check_state is 'How far the incremental check and the sync counts have read the log.';
insert into nura.check_state (checked_through, counted_through)
select coalesce(max(id), 0), 0 from public.user_sync_logs;

-- The sync log's rows up to check_state.counted_through, and the removed ones folded in, by
-- source and outcome (nura.sync_metrics adds the rows since).
create table nura.sync_log_counts (
    source text not null,
    success boolean not null,
    logged bigint not null,
    last_at timestamptz,
    primary key (source, success)
);
comment on table nura.sync_log_counts is 'Sync-log rows counted so far, by source and outcome.';

-- Users by origin, live and deleted, as changes appended by public.users' triggers (so writers
-- never wait on each other for a counter) and folded by nura.check_changes.
create table nura.user_count_changes (
    id bigint generated always as identity primary key,
    origin text not null,
    live bigint not null,
    deleted bigint not null
);
comment on table nura.user_count_changes is 'Changes to the count of users by origin; their sum is the count.';
-- The count starts exact: no one writes public.users until the triggers counting from here on
-- are installed, in this same transaction.
lock table public.users in share row exclusive mode;
insert into nura.user_count_changes (origin, live, deleted)
select origin, count(*) filter (where deleted_at is null), count(*) filter (where deleted_at is not null)
from public.users
group by origin;
