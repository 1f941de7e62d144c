-- For reconcile: the adoptions a foreign key held up, completed once it cascades. Returns how
-- many it completed.
create or replace function nura.retry_blocked_adoptions()
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_blocked record;
    v_completed integer := 0;
begin
    for v_blocked in select b.account_id, b.person_id from nura.legacy_blocked_adoptions() b order by b.account_id loop
        if nura.legacy_adopt_person(v_blocked.person_id, v_blocked.account_id, 'reconcile') is distinct from 'blocked' then
            delete from nura.legacy_adoptions_blocked b where b.account_id = v_blocked.account_id;
            v_completed := v_completed + 1;
        end if;
    end loop;
    return v_completed;
end
$$;
comment on function nura.retry_blocked_adoptions() is 'Completes the legacy adoptions a foreign key held up.';
revoke all on function nura.retry_blocked_adoptions() from public;
