-- For `nura-users prune`: deletes the sync-log rows written before p_before (with p_delete false,
-- only counts them), visiting p_limit rows after id p_after in id order (the order they were
-- written) in one short transaction. Returns the last id visited and how many rows went; the last
-- id is null once the visit reaches rows written since p_before (or the end), so the caller walks
-- the old end of the log batch by batch through the primary key and a run cut short carries on.
-- It keeps what is still read:
-- - every row of a user whose latest failed sync is not repaired by a full sync since: the drift
--   check reports the failure, and reconcile reads the writes since their last full sync;
-- - a user's repair while a failure written before it is kept;
-- - while a legacy table is there, an imported person's rows that replaced a value (but a
--   sign-in time): `legacy verify` accepts a legacy value a later write replaced by such a row.
-- Rows an erasure is deleting are skipped (they go with it). What it deletes beyond the sync's
-- count (nura.check_state.counted_through) is counted in nura.sync_log_removed.
create or replace function nura.prune_sync_logs(
    p_before timestamptz,
    p_after bigint,
    p_limit integer,
    p_delete boolean default true
)
returns table (last_id bigint, pruned bigint)
language plpgsql
set search_path = ''
as $$
declare
    v_reached_new boolean;
    v_legacy constant boolean := exists (
        select from unnest(array['chat_users', 'voice_users', 'custom_users']) t
        where to_regclass('public.' || t) is not null or to_regclass('public.legacy_' || t) is not null);
    v_removed jsonb;
    v_counted_through bigint;
begin
    if p_before is null or not isfinite(p_before) then
        perform nura.raise_error('PT400', 'the cutoff must be a finite time');
    end if;
    if p_limit is null or p_limit < 1 then
        perform nura.raise_error('PT400', 'the batch size must be a positive number of rows');
    end if;
    v_counted_through := nura.lock_log_count();
    select max(b.id), bool_or(b.created_at >= p_before) into last_id, v_reached_new
      from (select l.id, l.created_at from public.user_sync_logs l
            where l.id > coalesce(p_after, 0) order by l.id limit p_limit) b;

    with batch as materialized (
        select l.id, l.user_id, l.created_at, l.success, l.sync_type, l.before_data
        from public.user_sync_logs l
        where l.id > coalesce(p_after, 0) and l.id <= last_id
    ), unrepaired as (  -- users of the batch whose latest failed sync no full sync has repaired
        select u.user_id
        from (select distinct b.user_id from batch b) u
        cross join lateral (select max(f.id) as id from public.user_sync_logs f
                            where f.user_id = u.user_id and not f.success
                              and f.source in ('supabase_auth', 'reconcile')) f
        where f.id is not null
          and not exists (select from public.user_sync_logs r
                          where r.user_id = u.user_id and r.id > f.id and r.success
                            and r.sync_type in ('create', 'delete', 'reconcile'))
    ), doomed as (
        select b.id from batch b
        where b.created_at < p_before
          and not exists (select from unrepaired k where k.user_id = b.user_id)
          -- a repair stays while a failure written before it does (created_at is when a
          -- transaction began: a long reconcile's row can be older than a failure it outlived)
          and not (b.success and b.sync_type in ('create', 'delete', 'reconcile')
                   and exists (select from public.user_sync_logs f
                               where f.user_id = b.user_id and not f.success and f.id < b.id))
          -- what legacy verify reads: an imported person's value a later write replaced
          and not (v_legacy and coalesce(b.before_data - 'last_sign_in_at', '{}') <> '{}'
                   and exists (select from nura.legacy_user_map m where m.user_id = b.user_id))
    ), locked as (
        select l.id from public.user_sync_logs l
        where p_delete and l.id in (select d.id from doomed d)
        for update skip locked
    ), gone as (
        delete from public.user_sync_logs l using locked k where l.id = k.id
        returning l.id, l.source, l.success, l.created_at
    )
    select case when p_delete then (select count(*) from gone) else (select count(*) from doomed) end,
           (select jsonb_agg(g) from (select source, success, count(*) as removed, max(created_at) as last_at
                                      from gone where id > v_counted_through group by source, success) g)
      into pruned, v_removed;
    perform nura.count_removed_logs(v_removed);

    if v_reached_new or last_id is null then
        last_id := null;
    end if;
    return next;
end
$$;
comment on function nura.prune_sync_logs(timestamptz, bigint, integer, boolean) is 'Deletes (or counts) one batch of sync-log rows older than a cutoff, keeping what is still read.';
revoke all on function nura.prune_sync_logs(timestamptz, bigint, integer, boolean) from public;
