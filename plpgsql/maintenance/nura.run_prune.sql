-- `nura-users prune --older-than DAYS --yes` as a procedure, for a pg_cron job: the same batches
-- (nura.prune_sync_logs), each committed before the next, so no transaction outlasts one.
-- A procedure that commits can carry no SET clause: every name in it is qualified, and only its
-- owner (who schedules the jobs) may call it.
create or replace procedure nura.run_prune(p_older_than_days integer, p_batch integer default 10000)
language plpgsql
as $$
declare
    v_before timestamptz;
    v_last bigint := 0;
begin
    if p_older_than_days is null or p_older_than_days not between 1 and 36500 then
        perform nura.raise_error('PT400', 'the age must be a whole number of days from 1 to 36500');
    end if;
    v_before := pg_catalog.now() - pg_catalog.make_interval(days => p_older_than_days);
    while v_last is not null loop
        select p.last_id into v_last from nura.prune_sync_logs(v_before, v_last, p_batch) p;
        commit;
    end loop;
end
$$;
comment on procedure nura.run_prune(integer, integer) is 'Prunes the sync log in committed batches (for a scheduled job).';
revoke all on procedure nura.run_prune(integer, integer) from public;
