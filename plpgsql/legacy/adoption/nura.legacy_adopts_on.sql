-- Whether an auth write may make the account adopt the legacy person with its address: the
-- account (not SSO, not anonymous, not deleted) holds a confirmed address, and this write is
-- where that came to be: the account is new to us (p_old null), it confirmed its address now,
-- it confirmed a changed address (the one its email change asked for), or it stopped being
-- anonymous. An address set by any other write is not confirmed by an older confirmation.
create or replace function nura.legacy_adopts_on(p_old auth.users, p_new auth.users)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
    return p_new.email is not null and p_new.email_confirmed_at is not null and not p_new.is_sso_user
       and not coalesce(p_new.is_anonymous, false) and p_new.deleted_at is null
       and (p_old.id is null
            or p_old.email_confirmed_at is distinct from p_new.email_confirmed_at
            or (p_old.email is distinct from p_new.email and p_new.email = p_old.email_change)
            or (coalesce(p_old.is_anonymous, false) and not coalesce(p_new.is_anonymous, false)));
end
$$;
comment on function nura.legacy_adopts_on(auth.users, auth.users) is 'Legacy import: whether an auth write confirms the address that adopts a legacy person.';
revoke all on function nura.legacy_adopts_on(auth.users, auth.users) from public;
