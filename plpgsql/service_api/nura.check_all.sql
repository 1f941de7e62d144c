-- The full drift check (nura.check_consistency), recorded: what it finds replaces the problems
-- nura.check_changes keeps current, so a drift no log row shows (a write made with our triggers
-- disabled) is reported from here on. For `nura-users check` and a nightly job.
create or replace function nura.check_all()
returns table (user_id uuid, problem text, detail jsonb)
language plpgsql
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.check_state') is null then  -- rolled back past its migration: nothing is kept
        return query select * from nura.check_consistency();
        return;
    end if;
    perform pg_catalog.pg_advisory_xact_lock(nura.check_lock());
    update nura.check_state set full_check_at = now();
    perform nura.record_problems(null);
    return query select * from nura.known_problems();
end
$$;
comment on function nura.check_all() is 'Full drift check, recorded for nura.check_changes.';
revoke all on function nura.check_all() from public;
grant execute on function nura.check_all() to nura_service, service_role;
