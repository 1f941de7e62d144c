-- The legacy import's part of deleting users: what it holds of them (the legacy values that lost,
-- the rows an import under way staged for them, an adoption they were waiting for) is personal
-- too. Each table only where it is (a rollback may have taken the newer ones). Matched with
-- = any, not joined to the ids: an index scan or one pass of the table, whatever join methods
-- the caller allows (nura.tombstone_users allows no hash).
create or replace function nura.legacy_forget(p_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
begin
    if to_regclass('nura.legacy_conflicts') is not null then
        delete from nura.legacy_conflicts c where c.user_id = any (p_ids);
        delete from nura.legacy_rows r where r.person_id = any (p_ids);
    end if;
    if to_regclass('nura.legacy_adoptions_blocked') is not null then
        delete from nura.legacy_adoptions_blocked b where b.account_id = any (p_ids) or b.person_id = any (p_ids);
    end if;
end
$$;
comment on function nura.legacy_forget(uuid[]) is 'Legacy import: forgets deleted users (their conflicts, staged rows, blocked adoptions).';
revoke all on function nura.legacy_forget(uuid[]) from public;
