-- The full drift check (nura.check_consistency), recorded: what it finds replaces the problems
-- nura.check_changes keeps current, so a drift no log row shows (a write made with our triggers
-- disabled) is reported from here on; and what such writes did to the counts it puts right.
-- For `nura-users check`, `migrate` and a nightly job.
create or replace function nura.check_all()
returns table (user_id uuid, problem text, detail jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_last_id bigint;
begin
    if to_regclass('nura.check_state') is null then  -- rolled back past its migration: nothing is kept
        return query select * from nura.check_consistency();
        return;
    end if;
    perform pg_catalog.pg_advisory_xact_lock(nura.check_lock());
    -- Users a restore loaded with our triggers off were never counted: counted again, as of this
    -- statement's snapshot (the changes appended since are not deleted, and add to it).
    with counted as (
        delete from nura.user_count_changes returning 1
    )
    insert into nura.user_count_changes (origin, live, deleted)
    select u.origin, count(*) filter (where u.deleted_at is null), count(*) filter (where u.deleted_at is not null)
    from public.users u
    group by u.origin;
    -- A restored log can end below how far the checks had read it: they read it again from
    -- its end (the check below knows what is wrong), and count it again from the start.
    v_last_id := (select coalesce(max(l.id), 0) from public.user_sync_logs l);
    if (select s.counted_through > v_last_id from nura.check_state s) then
        delete from nura.sync_log_counts;
        update nura.check_state set counted_through = 0;
    end if;
    update nura.check_state s
       set checked_through = least(s.checked_through, v_last_id),
           pending_log_id = least(s.pending_log_id, v_last_id),
           full_check_at = now();
    perform nura.record_problems(null);
    return query select * from nura.known_problems();
end
$$;
comment on function nura.check_all() is 'Full drift check, recorded for nura.check_changes.';
revoke all on function nura.check_all() from public;
grant execute on function nura.check_all() to nura_service, service_role;
