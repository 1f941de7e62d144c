-- `nura-users reconcile` as a procedure, for a pg_cron job, each step committed before the next:
-- the backfill in batches (nura.backfill_users), a full check recorded (nura.check_all), then its
-- problems repaired in batches of p_batch users (nura.reconcile_batch). A procedure that commits can carry no SET
-- clause: every name in it is qualified, and only its owner may call it.
create or replace procedure nura.run_reconcile(p_batch integer default 1000)
language plpgsql
as $$
declare
    v_page bigint;
    v_after uuid;
begin
    loop
        select b.next_page into v_page from nura.backfill_users(v_page, null) b;
        commit;
        exit when v_page is null;
    end loop;
    perform from nura.check_all();
    commit;
    loop
        select b.last_id into v_after from nura.reconcile_batch(v_after, p_batch) b;
        commit;
        exit when v_after is null;
    end loop;
end
$$;
comment on procedure nura.run_reconcile(integer) is 'Backfills, checks and repairs in committed batches (for a scheduled job).';
revoke all on procedure nura.run_reconcile(integer) from public;
