-- The incremental drift check, for what runs on a schedule (/metrics, `nura-users status`, a
-- cron job): the problems the last full check (nura.check_all) found, kept current, and those
-- of every user whose sync failed since; the missing triggers and blocked adoptions are read
-- where they live. A sync that succeeded left its user as Auth has them, so drift comes only
-- from a sync that failed (and logged it) or from a write we never saw: one made with our
-- triggers disabled, as some restores do, or an edit of public.users by hand, which the next
-- full check finds. A known problem is looked at again when a log row names its user (a repair
-- logs), and otherwise in turn, a thousand users a run, for what goes away unlogged (an auth user
-- deleted before their row was made). Its cost follows the log written since the last run and
-- the failures in it, not the number of users.
-- Each run also counts the log rows it has seen for nura.sync_metrics and folds the counts of
-- users, so neither reader reads every row.
create or replace function nura.check_changes()
returns table (user_id uuid, problem text, detail jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_state record;
    v_settled boolean;
    v_rechecked constant integer := 1000;
    v_users uuid[];
    v_rechecked_through uuid;
    v_count_to bigint;
begin
    -- a snapshot taken before the count's lock could not see the deletions it waited for
    perform nura.require_read_committed('the incremental check');
    if to_regclass('nura.check_state') is null then  -- rolled back past its migration: nothing is kept
        return query select * from nura.check_consistency();
        return;
    end if;
    perform pg_catalog.pg_advisory_xact_lock(nura.check_lock());
    select * into v_state from nura.check_state;
    -- Whether every transaction that was running at the last run has ended since: then every log
    -- row up to the newest that run saw is written (log ids are drawn before commit, so a row
    -- with a smaller id than a committed one can still appear until its transaction ends).
    -- Read before the log below, which therefore holds all of them.
    v_settled := v_state.pending_xmax is not null
                 and pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) >= v_state.pending_xmax;

    with next_known as (
        select distinct d.user_id from nura.drift_problems d
        where d.user_id > coalesce(v_state.rechecked_through, '00000000-0000-0000-0000-000000000000')
        order by d.user_id limit v_rechecked
    )
    select array(select l.user_id from public.user_sync_logs l
                 where l.id > v_state.checked_through and not l.success and l.user_id is not null
                 union
                 select d.user_id from nura.drift_problems d
                 where exists (select from public.user_sync_logs l
                               where l.user_id = d.user_id and l.id > v_state.checked_through)
                 union
                 select k.user_id from next_known k),
           (select case when count(*) = v_rechecked then (array_agg(k.user_id order by k.user_id desc))[1] end
            from next_known k)  -- null: round again
      into v_users, v_rechecked_through;
    -- a thousand users at a time: few enough that each is looked up by index, not by a scan
    for v_from in 1 .. coalesce(cardinality(v_users), 0) by 1000 loop
        perform nura.record_problems(v_users[v_from:v_from + 999]);
    end loop;
    return query select * from nura.known_problems();  -- adds to the result; the run goes on

    -- Deletions of log rows wait from the lock to commit, so none falls between the count of the
    -- rows still there and the fold of those deleted beyond the old point. Never waited for: a
    -- waiting request would queue every deletion (Auth's among them) behind it; a busy run
    -- counts next time.
    if v_settled and pg_catalog.pg_try_advisory_xact_lock(nura.log_count_lock()) then
        -- at most this many ids a run, so a first count of a long log goes in short steps
        v_count_to := least(v_state.pending_log_id, v_state.counted_through + 500000);
        with removed as (
            delete from nura.sync_log_removed r returning r.source, r.success, r.removed, r.last_at
        ), newly as (
            select l.source, l.success, count(*) as logged, max(l.created_at) as last_at
            from public.user_sync_logs l
            where l.id > v_state.counted_through and l.id <= v_count_to
            group by l.source, l.success
            union all
            select r.source, r.success, r.removed, r.last_at from removed r
        )
        insert into nura.sync_log_counts as c (source, success, logged, last_at)
        select n.source, n.success, sum(n.logged), max(n.last_at) from newly n group by n.source, n.success
        on conflict on constraint sync_log_counts_pkey do update
           set logged = c.logged + excluded.logged, last_at = greatest(c.last_at, excluded.last_at);
    end if;

    with folded as (
        delete from nura.user_count_changes c returning c.origin, c.live, c.deleted
    )
    insert into nura.user_count_changes (origin, live, deleted)
    select f.origin, sum(f.live), sum(f.deleted) from folded f group by f.origin;

    update nura.check_state s
       set checked_through = case when v_settled then greatest(s.checked_through, s.pending_log_id) else s.checked_through end,
           counted_through = coalesce(v_count_to, s.counted_through),
           -- the next point to wait for (kept while the last one is not settled, so one long
           -- transaction delays the count but never starves it)
           pending_log_id = case when v_settled or s.pending_xmax is null
                                 then (select coalesce(max(l.id), 0) from public.user_sync_logs l) else s.pending_log_id end,
           pending_xmax = case when v_settled or s.pending_xmax is null
                               then pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) else s.pending_xmax end,
           rechecked_through = v_rechecked_through,
           changes_checked_at = now();
end
$$;
comment on function nura.check_changes() is 'Incremental drift check: the known problems, updated from the sync log written since the last run.';
revoke all on function nura.check_changes() from public;
grant execute on function nura.check_changes() to nura_service, service_role;
