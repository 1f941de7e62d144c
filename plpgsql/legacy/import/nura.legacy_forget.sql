-- The legacy import's part of deleting users: what it holds of them (the legacy values that lost,
-- the rows an import under way staged for them, an adoption they were waiting for) is personal
-- too. Each table only where it is (a rollback may have taken the newer ones).
create or replace function nura.legacy_forget(p_ids uuid[])
returns void
language plpgsql
set search_path = ''
as $$
begin
    if to_regclass('nura.legacy_conflicts') is not null then
        delete from nura.legacy_conflicts c using unnest(p_ids) as t(id) where c.user_id = t.id;
        delete from nura.legacy_rows r using unnest(p_ids) as t(id) where r.person_id = t.id;
    end if;
    if to_regclass('nura.legacy_adoptions_blocked') is not null then
        delete from nura.legacy_adoptions_blocked b using unnest(p_ids) as t(id)
         where t.id in (b.account_id, b.person_id);
    end if;
end
$$;
comment on function nura.legacy_forget(uuid[]) is 'Legacy import: forgets deleted users (their conflicts, staged rows, blocked adoptions).';
revoke all on function nura.legacy_forget(uuid[]) from public;
