-- The sync-log rows `nura-users prune` deleted, by source, for nura.sync_metrics, whose readers
-- run it (so it is granted to them, and reads the table as its owner). Guarded: after a rollback
-- past the table's migration there is nothing to add.
create or replace function nura.pruned_sync_counts()
returns table (source text, succeeded bigint, failed bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.sync_log_pruned') is null then
        return;
    end if;
    return query
        select p.source, coalesce(sum(p.pruned) filter (where p.success), 0)::bigint,
               coalesce(sum(p.pruned) filter (where not p.success), 0)::bigint
        from nura.sync_log_pruned p
        group by p.source;
end
$$;
comment on function nura.pruned_sync_counts() is 'Sync-log rows pruned, by source and outcome.';
revoke all on function nura.pruned_sync_counts() from public;
grant execute on function nura.pruned_sync_counts() to nura_service, service_role;
