-- `nura-users reconcile` as a procedure, for a pg_cron job: the backfill in committed batches
-- (nura.backfill_users), then the repair of the rest (nura.reconcile). A procedure that commits
-- can carry no SET clause: every name in it is qualified, and only its owner may call it.
create or replace procedure nura.run_reconcile(p_batch integer default 5000)
language plpgsql
as $$
declare
    v_after uuid;
begin
    loop
        select b.last_id into v_after from nura.backfill_users(v_after, p_batch) b;
        commit;
        exit when v_after is null;
    end loop;
    perform nura.reconcile();
end
$$;
comment on procedure nura.run_reconcile(integer) is 'Backfills in committed batches, then reconciles (for a scheduled job).';
revoke all on procedure nura.run_reconcile(integer) from public;
