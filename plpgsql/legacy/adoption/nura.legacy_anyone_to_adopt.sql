-- Whether a legacy person (not deleted) has one of these accounts' addresses. First whether any
-- legacy person has an address at all: the partial index of them read in its order, its first
-- entry, so never a scan of the table whatever the statistics (in a project that imported no one
-- it holds no address); only then each account's address, normalized, probed.
create or replace function nura.legacy_anyone_to_adopt(p_auth auth.users[])
returns boolean
language plpgsql  -- not sql: a SQL function called from PL/pgSQL is planned anew at every call
stable
set search_path = ''
as $$
begin
    return (select lower(u.email) from public.users u
            where u.origin = 'legacy_migration' and lower(u.email) is not null and u.deleted_at is null
            order by lower(u.email) limit 1) is not null
       and exists (select from public.users u join unnest(p_auth) n on lower(u.email) = nura.normalized_email(n.email)
                   where u.origin = 'legacy_migration' and u.deleted_at is null);
end
$$;
comment on function nura.legacy_anyone_to_adopt(auth.users[]) is 'Legacy import: whether a legacy person has one of these accounts'' addresses.';
revoke all on function nura.legacy_anyone_to_adopt(auth.users[]) from public;
