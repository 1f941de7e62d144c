-- For `nura-users prune`: deletes the sync-log rows written before p_before, visiting p_limit rows
-- after id p_after in id order (the order they were written) in one short transaction, and returns
-- the last id visited and how many rows went; the last id is null once the visit reaches rows
-- written since p_before, so the caller walks the old part of the log batch by batch through the
-- primary key (its cost is what it deletes, plus one batch) and a run cut short carries on.
-- It keeps what the drift check and reconcile still need: every row of a user whose failed sync
-- is not repaired, from their last successful full sync on (the failure itself, and the writes
-- since it that reconcile must not revert). What it deletes is counted in nura.sync_log_pruned.
create or replace function nura.prune_sync_logs(p_before timestamptz, p_after bigint, p_limit integer)
returns table (last_id bigint, deleted bigint)
language plpgsql
set search_path = ''
as $$
declare
    v_reached_new boolean;
begin
    if p_before is null or not isfinite(p_before) then
        perform nura.raise_error('PT400', 'the cutoff must be a finite time');
    end if;
    if p_limit is null or p_limit < 1 then
        perform nura.raise_error('PT400', 'the batch size must be a positive number of rows');
    end if;
    select max(b.id), bool_or(b.created_at >= p_before) into last_id, v_reached_new
      from (select l.id, l.created_at from public.user_sync_logs l
            where l.id > coalesce(p_after, 0) order by l.id limit p_limit) b;

    with gone as (
        delete from public.user_sync_logs l
         where l.id > coalesce(p_after, 0) and l.id <= last_id and l.created_at < p_before
           and not (
               exists (select from public.user_sync_logs f  -- an unrepaired failure of the user's
                       where f.user_id = l.user_id and not f.success and f.source in ('supabase_auth', 'reconcile')
                         and not exists (select from public.user_sync_logs r
                                         where r.user_id = f.user_id and r.id > f.id and r.success
                                           and r.sync_type in ('create', 'delete', 'reconcile')))
               and not exists (select from public.user_sync_logs r  -- and no full sync since this row
                               where r.user_id = l.user_id and r.id > l.id and r.success
                                 and r.sync_type in ('create', 'delete', 'reconcile')))
        returning l.source, l.success
    ), counted as (
        insert into nura.sync_log_pruned as p (source, success, pruned)
        select g.source, g.success, count(*) from gone g group by g.source, g.success
        on conflict (source, success) do update set pruned = p.pruned + excluded.pruned
    )
    select count(*) into deleted from gone;

    if v_reached_new then
        last_id := null;
    end if;
    return next;
end
$$;
comment on function nura.prune_sync_logs(timestamptz, bigint, integer) is 'Deletes one batch of sync-log rows older than a cutoff, keeping what drift repair needs.';
revoke all on function nura.prune_sync_logs(timestamptz, bigint, integer) from public;
