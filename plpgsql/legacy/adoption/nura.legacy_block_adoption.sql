-- Records that an account's adoption of a legacy person waits (on a foreign key that does not
-- cascade, or on a row that was busy), for check_consistency() to report and reconcile or the
-- import batch writing the person to complete. The first time is logged as a failure.
create or replace function nura.legacy_block_adoption(p_account uuid, p_person uuid, p_sqlstate text, p_reason text)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_new boolean;
begin
    insert into nura.legacy_adoptions_blocked as b (account_id, person_id, blocked_by)
    values (p_account, p_person, p_reason)
    on conflict (account_id) do update set person_id = excluded.person_id, blocked_by = excluded.blocked_by
    returning b.xmax = 0 into v_new;
    if v_new then
        perform nura.log_sync_failure(p_account, 'legacy_import', 'legacy_migration', p_sqlstate,
            format('adoption of legacy person %s waits: %s', p_person, p_reason), null);
    end if;
end
$$;
comment on function nura.legacy_block_adoption(uuid, uuid, text, text) is 'Legacy import: records an adoption that waits.';
revoke all on function nura.legacy_block_adoption(uuid, uuid, text, text) from public;
