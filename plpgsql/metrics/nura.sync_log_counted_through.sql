-- The id up to which the sync log is counted in nura.sync_log_counts (0: nothing is), for
-- nura.sync_metrics' readers, who may not read nura.check_state; guarded like the count.
create or replace function nura.sync_log_counted_through()
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.check_state') is null then
        return 0;
    end if;
    return (select s.counted_through from nura.check_state s);
end
$$;
comment on function nura.sync_log_counted_through() is 'How far the sync log is counted.';
revoke all on function nura.sync_log_counted_through() from public;
grant execute on function nura.sync_log_counted_through() to nura_service, service_role;
