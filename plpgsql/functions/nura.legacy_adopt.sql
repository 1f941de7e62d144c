-- The sync's one call into the legacy import: each account among p_auth that has confirmed an
-- address (not SSO, not anonymous, not deleted) adopts the legacy person without an account who
-- has that address (nura.legacy_adopt_person). An unconfirmed address adopts no one: whoever
-- first registers an address must not get its person's name, phone and profiles. Returns the
-- accounts whose person's row took their id (they have no row of their own yet).
-- Lock order, which import batches share: the people's rows first, then the adoption lock
-- (shared; a batch holds it exclusively only for its last step), then a second look, since a
-- batch may have committed new people while this waited.
create or replace function nura.legacy_adopt(p_auth auth.users[], p_source text)
returns uuid[]
language plpgsql
set search_path = ''
as $$
declare
    v_renamed uuid[] := '{}';
    c record;
begin
    if current_setting('nura.in_legacy_batch', true) = 'on'  -- the batch adopts its own people
       or not exists (select from unnest(p_auth) n
                      where n.email is not null and n.email_confirmed_at is not null and not n.is_sso_user
                        and not coalesce(n.is_anonymous, false) and n.deleted_at is null) then
        return v_renamed;
    end if;
    for pass in 1..2 loop
        perform from public.users u
        join unnest(p_auth) n on lower(u.email) = nura.normalized_email(n.email)
        where n.email_confirmed_at is not null and not n.is_sso_user and not coalesce(n.is_anonymous, false)
          and n.deleted_at is null and u.origin = 'legacy_migration' and u.deleted_at is null and u.id <> n.id
        order by u.id
        for update of u;
        if pass = 1 then
            perform pg_catalog.pg_advisory_xact_lock_shared(nura.legacy_adoption_lock());
        end if;
    end loop;
    for c in
        select n.id as account, u.id as person
        from unnest(p_auth) n
        join public.users u on lower(u.email) = nura.normalized_email(n.email)
        where n.email_confirmed_at is not null and not n.is_sso_user and not coalesce(n.is_anonymous, false)
          and n.deleted_at is null and u.origin = 'legacy_migration' and u.deleted_at is null and u.id <> n.id
        order by n.id, u.created_at, u.id
    loop
        if nura.legacy_adopt_person(c.person, c.account, p_source) = 'renamed' then
            v_renamed := v_renamed || c.account;
        end if;
    end loop;
    return v_renamed;
end
$$;
comment on function nura.legacy_adopt(auth.users[], text) is 'Legacy import: accounts with a confirmed address adopt their legacy person.';
revoke all on function nura.legacy_adopt(auth.users[], text) from public;
