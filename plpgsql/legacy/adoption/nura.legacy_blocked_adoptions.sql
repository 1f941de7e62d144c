-- The adoptions a foreign key holds up, for check_consistency(): none where the table is not
-- there (a rollback of the migration that made it leaves the check working).
create or replace function nura.legacy_blocked_adoptions()
returns table (account_id uuid, person_id uuid, blocked_by text, blocked_at timestamptz)
language plpgsql
stable
set search_path = ''
as $$
begin
    if to_regclass('nura.legacy_adoptions_blocked') is not null then
        return query execute 'select b.account_id, b.person_id, b.blocked_by, b.blocked_at from nura.legacy_adoptions_blocked b';
    end if;
end
$$;
comment on function nura.legacy_blocked_adoptions() is 'Legacy import: the blocked adoptions, for the drift report.';
revoke all on function nura.legacy_blocked_adoptions() from public;
