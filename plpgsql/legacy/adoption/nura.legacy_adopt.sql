-- The sync's one call into the legacy import: each account among p_auth adopts the legacy person
-- without an account who has its confirmed address (nura.legacy_adopt_person). The caller has
-- decided that the write confirmed it (nura.legacy_adopts_on); an unconfirmed address adopts no
-- one, so whoever first registers an address never gets its person's name, phone and profiles.
-- Returns the accounts whose person's row took their id (they had no row of their own yet).
-- Never waits for a person: one an import batch is writing is left to that batch's last step,
-- recorded meanwhile as blocked; so no cycle of waits can include Auth's transaction. The
-- adoption lock (shared; a batch holds it exclusively only for its last step) makes a batch and
-- an account see each other, and a second look after it finds people a batch committed meanwhile.
-- Held to commit, the lock also keeps any batch from committing people meanwhile: so one account
-- as it is, once looked for, is not looked for again in the same transaction (a signup's sync asks
-- twice: as it creates the row, and as the write that confirmed the address).
create or replace function nura.legacy_adopt(p_auth auth.users[], p_source text)
returns uuid[]
language plpgsql
set search_path = ''
as $$
declare
    v_renamed uuid[] := '{}'::uuid[];
    v_locked uuid[] := '{}'::uuid[];
    -- what decides whom one account adopts
    v_looked_for text := case when cardinality(p_auth) = 1 then concat_ws(' ', p_auth[1].id,
        nura.normalized_email(p_auth[1].email), p_auth[1].email_confirmed_at is not null, p_auth[1].is_sso_user,
        coalesce(p_auth[1].is_anonymous, false), p_auth[1].deleted_at is null) end;
    c record;
begin
    if current_setting('nura.in_legacy_batch', true) = 'on'  -- the batch adopts its own people
       or not exists (select from unnest(p_auth) n where n.email is not null and n.email_confirmed_at is not null)
       or v_looked_for = current_setting('nura.legacy_looked_for', true) then
        return v_renamed;
    end if;
    if not nura.legacy_anyone_to_adopt(p_auth) then
        -- no one with these addresses to adopt: once more under the lock, which a batch
        -- committing people holds, and done
        perform pg_catalog.pg_advisory_xact_lock_shared(nura.legacy_adoption_lock());
        if not nura.legacy_anyone_to_adopt(p_auth) then
            if v_looked_for is not null then
                perform set_config('nura.legacy_looked_for', v_looked_for, true);
            end if;
            return v_renamed;
        end if;
    end if;
    for pass in 1..2 loop
        v_locked := v_locked || array(
            select u.id from public.users u
            join unnest(p_auth) n on lower(u.email) = nura.normalized_email(n.email)
            where n.email_confirmed_at is not null and not n.is_sso_user and not coalesce(n.is_anonymous, false)
              and n.deleted_at is null and u.origin = 'legacy_migration' and u.deleted_at is null and u.id <> n.id
            order by u.id
            for update of u skip locked);
        if pass = 1 then
            perform pg_catalog.pg_advisory_xact_lock_shared(nura.legacy_adoption_lock());
        end if;
    end loop;
    for c in
        select n.id as account, u.id as person, u.id = any (v_locked) as locked
        from unnest(p_auth) n
        join public.users u on lower(u.email) = nura.normalized_email(n.email)
        where n.email_confirmed_at is not null and not n.is_sso_user and not coalesce(n.is_anonymous, false)
          and n.deleted_at is null and u.origin = 'legacy_migration' and u.deleted_at is null and u.id <> n.id
        order by n.id, u.created_at, u.id
    loop
        if not c.locked then
            perform nura.legacy_block_adoption(c.account, c.person, '55P03', 'a legacy import batch was writing the person');
        elsif nura.legacy_adopt_person(c.person, c.account, p_source) = 'renamed' then
            v_renamed := v_renamed || c.account;
        end if;
    end loop;
    if v_looked_for is not null then
        perform set_config('nura.legacy_looked_for', v_looked_for, true);
    end if;
    return v_renamed;
end
$$;
comment on function nura.legacy_adopt(auth.users[], text) is 'Legacy import: accounts that confirmed an address adopt its legacy person.';
revoke all on function nura.legacy_adopt(auth.users[], text) from public;
