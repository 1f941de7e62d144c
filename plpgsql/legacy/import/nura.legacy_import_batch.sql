-- The legacy import's second step, one batch of people (nura.legacy_prepare) in one transaction:
-- their rows not imported yet become public.users rows and chat/voice profiles, set-based.
-- Per field the first value wins in the order auth (or what the user row holds already), chat,
-- voice, custom, then by created_at; every other value that differs, and every value no column
-- can store (a phone without a country code, a name over 200 characters), is kept in
-- nura.legacy_conflicts. Password hashes never leave the legacy tables. Each person is logged
-- once, source legacy_migration. Returns what the batch did.
-- Beside signups and profile writes, it never waits for a row: the people who have one are
-- locked only for the writes, without waiting, and a value written since the batch planned
-- stands (the legacy value becomes a conflict). People it could not lock, or who were adopted,
-- deleted or given a row meanwhile, are deferred: their rows stay unimported for the next run.
-- Only the last step, matching new people to accounts confirmed meanwhile, holds the adoption
-- lock that signups wait for (nura.legacy_adoption_lock).
create or replace function nura.legacy_import_batch(p_batch integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_created integer;
    v_profiles integer;
    v_conflicts integer;
    v_more integer;
    v_match record;
    v_matched integer := 0;
    v_deferred integer;
    v_created_ids uuid[];
    -- the batch's people and addresses: auth.users and public.users are read for these keys only
    -- (by index, once a batch is a small part of them), never hashed whole, which every batch
    -- would pay again in proportion to all the users there are
    v_people uuid[];
    v_emails text[];
begin
    -- the batch's scratch tables, as plpgsql_check is to check the statements that read them
    perform 'PRAGMA:TABLE: legacy_batch (legacy_table text, legacy_id uuid, precedence integer, row_data jsonb, email text, created_at timestamp with time zone, person_id uuid, batch integer, row_digest text)';
    perform 'PRAGMA:TABLE: legacy_candidates (person_id uuid, field text, raw text, source text, precedence integer, created_at timestamp with time zone, legacy_id uuid, value text)';
    perform 'PRAGMA:TABLE: legacy_current (person_id uuid, now jsonb)';
    perform 'PRAGMA:TABLE: legacy_deferred (person_id uuid)';
    perform 'PRAGMA:TABLE: legacy_entries (person_id uuid, field text, key text, value jsonb, source text, precedence integer, created_at timestamp with time zone, legacy_id uuid)';
    perform 'PRAGMA:TABLE: legacy_homes (legacy_table text, column_name text, home text, is_key boolean)';
    perform 'PRAGMA:TABLE: legacy_entry_winners (person_id uuid, field text, key text, value jsonb, source text, precedence integer, created_at timestamp with time zone, legacy_id uuid)';
    perform 'PRAGMA:TABLE: legacy_lost (user_id uuid, field text, kept_value text, kept_source text, other_value text, other_source text)';
    perform 'PRAGMA:TABLE: legacy_people (person_id uuid, email text, created_at timestamp with time zone, legacy_rows bigint, sources text[], existing jsonb, deleted boolean)';
    perform 'PRAGMA:TABLE: legacy_values (person_id uuid, full_name text, phone_number text, privacy_settings text, is_active text, xp text, current_streak text)';
    perform 'PRAGMA:TABLE: legacy_winners (person_id uuid, field text, value text, source text, precedence integer, typed jsonb)';
    perform 'PRAGMA:TABLE: legacy_writes (person_id uuid, field text, value text, source text, typed jsonb, now jsonb, unchanged boolean)';
    drop table if exists pg_temp.legacy_batch, pg_temp.legacy_people, pg_temp.legacy_candidates,
        pg_temp.legacy_winners, pg_temp.legacy_values, pg_temp.legacy_entries, pg_temp.legacy_entry_winners,
        pg_temp.legacy_lost, pg_temp.legacy_current, pg_temp.legacy_writes, pg_temp.legacy_deferred,
        pg_temp.legacy_homes;
    perform set_config('nura.in_legacy_batch', 'on', true);  -- this batch adopts its people itself

    create temp table legacy_batch on commit drop as
    select r.* from nura.legacy_rows r
    where r.batch = p_batch
      -- imported, and unchanged since: each row's map entry read by its key (a subquery, which the
      -- planner cannot turn into a hash of the whole map, a map that grows with every batch)
      and not coalesce((select m.row_digest is not distinct from r.row_digest from nura.legacy_user_map m
                        where m.legacy_table = r.legacy_table and m.legacy_id = r.legacy_id), false);
    v_people := array(select distinct b.person_id from legacy_batch b);
    v_emails := array(select distinct b.email from legacy_batch b where b.email is not null);

    -- accounts that confirmed an address since nura.legacy_prepare planned take over the person
    -- planned as new with it (one with a row already, a tombstone included, stays who they are)
    with taken as (
        select distinct b.person_id as planned, a.id as account
        from legacy_batch b
        join auth.users a on a.email = b.email and not a.is_sso_user and a.deleted_at is null
                         and a.email_confirmed_at is not null and not a.is_anonymous and a.email = any(v_emails)
        where b.email is not null and b.person_id <> a.id
          and not exists (select from public.users u where u.id = b.person_id and u.id = any(v_people))
    )
    update legacy_batch b set person_id = t.account from taken t where b.person_id = t.planned;
    analyze legacy_batch;
    v_people := array(select distinct b.person_id from legacy_batch b);  -- with the accounts taking over
    create temp table legacy_deferred (person_id uuid primary key) on commit drop;

    create temp table legacy_people on commit drop as
    select p.person_id, p.email, p.created_at, p.legacy_rows, p.sources,
           to_jsonb(p.existing) as existing, (p.existing).deleted_at is not null as deleted
    from (select b.person_id, max(b.email) as email, min(b.created_at) as created_at, count(*) as legacy_rows,
                 array_agg(b.legacy_table || ':' || b.legacy_id order by b.precedence, b.legacy_id) as sources,
                 (select u from public.users u where u.id = b.person_id) as existing  -- by key
          from legacy_batch b group by b.person_id) p;
    -- an account without its row (its sync failed meanwhile): reconcile makes it; a later run imports
    insert into legacy_deferred
    select p.person_id from legacy_people p
    where p.existing is null and exists (select from auth.users a where a.id = p.person_id and a.id = any(v_people));
    delete from legacy_people p using legacy_deferred d where d.person_id = p.person_id;
    analyze legacy_people;

    -- where each column of the legacy tables goes (nura.legacy_field, the one map): `users.<field>`,
    -- `<service>.service_preferences` or `.service_metadata`, or nowhere but the kept table (null)
    create temp table legacy_homes on commit drop as
    select t.name as legacy_table, a.attname::text as column_name, nura.legacy_field(t.name, a.attname) as home,
           a.attname = case t.name when 'custom_users' then 'user_id' else 'id' end as is_key
    from unnest(array['chat_users', 'voice_users', 'custom_users']) t(name)
    join pg_catalog.pg_attribute a on a.attrelid = nura.legacy_source(t.name) and a.attnum > 0 and not a.attisdropped
    where a.attname <> 'password_hash';  -- never staged

    -- every value a field could take, the user row's own first (precedence 0)
    create temp table legacy_candidates on commit drop as
    select b.person_id, f.field, f.raw, b.legacy_table as source, b.precedence, b.created_at, b.legacy_id,
           case f.field
               when 'full_name' then case when char_length(f.raw) <= 200 then f.raw end
               when 'phone_number' then nura.legacy_phone(f.raw)
               when 'privacy_settings' then case when jsonb_typeof(f.json) = 'object' then f.raw end
               when 'is_active' then case when f.raw in ('true', 'false') then f.raw end
               else case when f.raw ~ '^[0-9]{1,9}$' then f.raw::integer::text end
           end as value
    from legacy_batch b
    join legacy_homes h on h.legacy_table = b.legacy_table and h.home like 'users.%' and h.home <> 'users.email'
    cross join lateral (select substr(h.home, 7), b.row_data ->> h.column_name, b.row_data -> h.column_name) f(field, raw, json)
    where f.raw is not null
    union all
    select p.person_id, f.field, f.value, case when p.existing ->> 'origin' = 'legacy_migration' then 'users' else 'auth' end,
           0, null, null, f.value
    from legacy_people p
    cross join lateral (values
        ('full_name', p.existing ->> 'full_name'), ('phone_number', p.existing ->> 'phone_number'),
        ('privacy_settings', nullif(p.existing -> 'privacy_settings', '{}')::text),
        -- an auth account's is_active stands; a legacy person's only when it says false
        ('is_active', case when p.existing ->> 'origin' <> 'legacy_migration'
                             or p.existing ->> 'is_active' = 'false' then p.existing ->> 'is_active' end),
        ('xp', nullif(p.existing ->> 'xp', '0')), ('current_streak', nullif(p.existing ->> 'current_streak', '0'))
    ) f(field, value)
    where p.existing is not null and not p.deleted and f.value is not null;
    analyze legacy_candidates;

    create temp table legacy_winners on commit drop as
    select distinct on (c.person_id, c.field) c.person_id, c.field, c.value, c.source, c.precedence,
           case c.field when 'privacy_settings' then c.value::jsonb when 'is_active' then to_jsonb(c.value::boolean)
                        when 'xp' then to_jsonb(c.value::integer) when 'current_streak' then to_jsonb(c.value::integer)
                        else to_jsonb(c.value) end as typed  -- as the column holds it
    from legacy_candidates c join legacy_people p on p.person_id = c.person_id
    where c.value is not null and not p.deleted
    -- one chat row saying inactive makes an account-less person inactive
    order by c.person_id, c.field, c.precedence, (c.field = 'is_active' and c.value = 'true'),
             c.created_at nulls last, c.legacy_id;
    analyze legacy_winners;

    create temp table legacy_lost (user_id uuid, field text, kept_value text, kept_source text, other_value text,
                                   other_source text) on commit drop;
    insert into legacy_lost (user_id, field, kept_value, kept_source, other_value, other_source)
    select c.person_id, c.field, w.value, coalesce(w.source, case when p.deleted then 'deleted' end), c.raw, c.source
    from legacy_candidates c
    join legacy_people p on p.person_id = c.person_id
    left join legacy_winners w on w.person_id = c.person_id and w.field = c.field
    where c.precedence > 0 and (c.value is null or c.value is distinct from w.value)
    union all  -- a row imported before whose email has changed since
    select p.person_id, 'email', p.existing ->> 'email', 'users', b.email, b.legacy_table
    from legacy_batch b join legacy_people p on p.person_id = b.person_id
    where b.email is distinct from lower(p.existing ->> 'email') and b.email is not null
      and p.existing is not null and not p.deleted
    union all  -- custom_users' extra columns have no normalized home: recorded, kept in the table
    select b.person_id, 'custom_users.' || h.column_name, null, null, b.row_data ->> h.column_name, b.legacy_table
    from legacy_batch b join legacy_people p on p.person_id = b.person_id
    join legacy_homes h on h.legacy_table = b.legacy_table and h.home is null and not h.is_key
    where b.legacy_table = 'custom_users' and b.row_data -> h.column_name <> 'null' and not p.deleted;

    -- the winning legacy values, a row per person
    create temp table legacy_values on commit drop as
        select w.person_id,
               max(w.value) filter (where w.field = 'full_name') as full_name,
               max(w.value) filter (where w.field = 'phone_number') as phone_number,
               max(w.value) filter (where w.field = 'privacy_settings') as privacy_settings,
               max(w.value) filter (where w.field = 'is_active') as is_active,
               max(w.value) filter (where w.field = 'xp') as xp,
               max(w.value) filter (where w.field = 'current_streak') as current_streak
    from legacy_winners w where w.precedence > 0
    group by w.person_id;
    analyze legacy_values;

    -- The writes. The people who have a row are locked from here on, without waiting for any
    -- (one someone holds is deferred), and their rows read again: what was written since the
    -- plan is what they hold now.
    create temp table legacy_current on commit drop as
    select l.id as person_id, to_jsonb(l) as now
    from (select u.* from public.users u
          where u.id = any(array(select p.person_id from legacy_people p where p.existing is not null))
          order by u.id for update skip locked) l;
    insert into legacy_deferred  -- busy, adopted (their row has another id now) or deleted meanwhile
    select p.person_id from legacy_people p left join legacy_current c using (person_id)
    where p.existing is not null and (c.person_id is null or c.now ->> 'deleted_at' is not null and not p.deleted);
    delete from legacy_people p using legacy_deferred d where d.person_id = p.person_id;

    -- a legacy value is written where the field still holds what the plan saw (empty, or a legacy
    -- person's is_active); where something was written since, that stands and the legacy value
    -- is a conflict
    create temp table legacy_writes on commit drop as
    select w.person_id, w.field, w.value, w.source, w.typed,
           c.now -> w.field as now,
           (c.now -> w.field) is not distinct from (p.existing -> w.field) as unchanged
    from legacy_winners w
    join legacy_people p on p.person_id = w.person_id
    join legacy_current c on c.person_id = w.person_id
    where w.precedence > 0;
    insert into legacy_lost (user_id, field, kept_value, kept_source, other_value, other_source)
    select x.person_id, x.field, x.now #>> '{}', 'users', x.value, x.source
    from legacy_writes x where not x.unchanged and x.now is distinct from x.typed;

    update public.users u
       set full_name = coalesce(x.full_name, u.full_name),
           phone_number = coalesce(x.phone_number, u.phone_number),
           privacy_settings = coalesce(x.privacy_settings, u.privacy_settings),
           is_active = coalesce(x.is_active, u.is_active),
           xp = coalesce(x.xp, u.xp),
           current_streak = coalesce(x.current_streak, u.current_streak),
           updated_at = now()
      from (select w.person_id,
                   max(w.typed #>> '{}') filter (where w.field = 'full_name') as full_name,
                   max(w.typed #>> '{}') filter (where w.field = 'phone_number') as phone_number,
                   (array_agg(w.typed) filter (where w.field = 'privacy_settings'))[1] as privacy_settings,
                   bool_and((w.typed #>> '{}')::boolean) filter (where w.field = 'is_active') as is_active,
                   max((w.typed #>> '{}')::integer) filter (where w.field = 'xp') as xp,
                   max((w.typed #>> '{}')::integer) filter (where w.field = 'current_streak') as current_streak
            from legacy_writes w where w.unchanged group by w.person_id) x
     where u.id = x.person_id;

    -- new people (one given a row meanwhile, by Auth under their id, is deferred)
    with created as (
        insert into public.users (id, email, full_name, phone_number, privacy_settings, is_active, xp,
                                  current_streak, created_at, origin)
        select p.person_id, p.email, w.full_name, w.phone_number, coalesce(w.privacy_settings::jsonb, '{}'),
               coalesce(w.is_active::boolean, true), coalesce(w.xp::integer, 0), coalesce(w.current_streak::integer, 0),
               coalesce(p.created_at, now()), 'legacy_migration'
        from legacy_people p left join legacy_values w on w.person_id = p.person_id
        where p.existing is null
        on conflict (id) do nothing
        returning id
    )
    select count(*), coalesce(array_agg(c.id), '{}') into v_created, v_created_ids from created c;
    insert into legacy_deferred
    select p.person_id from legacy_people p where p.existing is null and p.person_id <> all (v_created_ids);
    delete from legacy_people p using legacy_deferred d where d.person_id = p.person_id;
    delete from legacy_batch b using legacy_deferred d where d.person_id = b.person_id;
    select count(*) into v_deferred from legacy_deferred;

    -- profiles: chat notification_prefs -> the chat profile's service_preferences, the columns
    -- chat_users and voice_users have beyond the known ones -> that profile's service_metadata; keys
    -- the profile holds already win
    create temp table legacy_entries on commit drop as
    select b.person_id, h.home as field, e.key, e.value, b.legacy_table as source,  -- a column of keys
           b.precedence, b.created_at, b.legacy_id
    from legacy_batch b
    join legacy_homes h on h.legacy_table = b.legacy_table and h.home like '%.service_preferences'
    cross join lateral jsonb_each(case when jsonb_typeof(b.row_data -> h.column_name) = 'object'
                                       then b.row_data -> h.column_name end) e
    union all
    select b.person_id, h.home, h.column_name, b.row_data -> h.column_name, b.legacy_table,  -- a key of its own
           b.precedence, b.created_at, b.legacy_id
    from legacy_batch b
    join legacy_homes h on h.legacy_table = b.legacy_table and h.home like '%.service_metadata'
    where b.row_data -> h.column_name <> 'null'
    union all
    select s.user_id, s.service_type || x.column_name, e.key, e.value, 'users', 0, null, null
    from public.user_service_profiles s
    cross join lateral (values ('.service_preferences', s.service_preferences),
                               ('.service_metadata', s.service_metadata)) x(column_name, entries)
    cross join lateral jsonb_each(x.entries) e
    -- by key, not a hash of every profile; the people this batch made have none yet (their rows are
    -- this transaction's own)
    where s.service_type in ('chat', 'voice')
      and s.user_id = any(array(select p.person_id from legacy_people p where p.existing is not null));
    analyze legacy_entries;

    create temp table legacy_entry_winners on commit drop as
    select distinct on (e.person_id, e.field, e.key) e.*
    from legacy_entries e
    order by e.person_id, e.field, e.key, e.precedence, e.created_at nulls last, e.legacy_id;
    analyze legacy_entry_winners;

    insert into legacy_lost (user_id, field, kept_value, kept_source, other_value, other_source)
    select e.person_id, e.field, jsonb_build_object(w.key, w.value)::text, w.source,
           jsonb_build_object(e.key, e.value)::text, e.source
    from legacy_entries e
    join legacy_entry_winners w using (person_id, field, key)
    where e.precedence > 0 and e.value <> w.value
    union all  -- preferences that are not an object cannot be stored
    select b.person_id, h.home, null, null, b.row_data ->> h.column_name, b.legacy_table
    from legacy_batch b
    join legacy_homes h on h.legacy_table = b.legacy_table and h.home like '%.service_preferences'
    where jsonb_typeof(b.row_data -> h.column_name) not in ('object', 'null');

    analyze legacy_lost;
    insert into nura.legacy_conflicts (user_id, field, kept_value, kept_source, other_value, other_source)
    select l.user_id, l.field, l.kept_value, l.kept_source, l.other_value, l.other_source
    from legacy_lost l join legacy_people p on p.person_id = l.user_id
    where p.existing is null;
    get diagnostics v_conflicts = row_count;
    -- a person with a user row may have been imported before (a row of theirs changed since):
    -- what is recorded already is not recorded twice
    insert into nura.legacy_conflicts (user_id, field, kept_value, kept_source, other_value, other_source)
    select l.user_id, l.field, l.kept_value, l.kept_source, l.other_value, l.other_source
    from legacy_lost l join legacy_people p on p.person_id = l.user_id
    where p.existing is not null and not p.deleted  -- a deleted person's values are not written back
      and not exists (select from nura.legacy_conflicts x
                      where x.user_id = l.user_id and x.field = l.field and x.other_source = l.other_source
                        and x.other_value = l.other_value);
    get diagnostics v_more = row_count;
    v_conflicts := v_conflicts + v_more;

    insert into public.user_service_profiles as s (user_id, service_type, service_preferences, service_metadata)
    select x.person_id, x.service_type, coalesce(w.preferences, '{}'), coalesce(w.metadata, '{}')
    from (select distinct b.person_id, case b.legacy_table when 'chat_users' then 'chat' else 'voice' end as service_type
          from legacy_batch b join legacy_people p on p.person_id = b.person_id
          where b.legacy_table in ('chat_users', 'voice_users') and not p.deleted) x
    left join (select person_id, split_part(field, '.', 1) as service_type,
                      jsonb_object_agg(key, value) filter (where field like '%.service_preferences') as preferences,
                      jsonb_object_agg(key, value) filter (where field like '%.service_metadata') as metadata
               from legacy_entry_winners where precedence > 0
               group by 1, 2) w using (person_id, service_type)
    on conflict (user_id, service_type) do update  -- keys there now win, written since the plan too
       set service_preferences = excluded.service_preferences || s.service_preferences,
           service_metadata = excluded.service_metadata || s.service_metadata,
           updated_at = now();
    get diagnostics v_profiles = row_count;

    insert into nura.legacy_user_map (legacy_table, legacy_id, user_id, row_digest)
    select distinct on (b.legacy_table, b.legacy_id) b.legacy_table, b.legacy_id, b.person_id, b.row_digest
    from legacy_batch b
    on conflict (legacy_table, legacy_id) do update set row_digest = excluded.row_digest;

    -- one log row per person: what was written, and (for people with a row) what it replaced
    insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
    select p.person_id, 'legacy_import', 'legacy_migration', w.replaced,
           coalesce(w.fields, '{}') || case when p.existing is null and p.email is not null
                                            then jsonb_build_object('email', p.email) else '{}' end
               || jsonb_build_object('legacy_rows', to_jsonb(p.sources)),
           true
    from legacy_people p
    left join (select x.person_id, jsonb_object_agg(x.field, x.typed) as fields,
                      jsonb_object_agg(x.field, x.now) as replaced
               from legacy_writes x where x.unchanged group by x.person_id
               union all
               select w.person_id, jsonb_object_agg(w.field, w.typed), null
               from legacy_winners w join legacy_people n on n.person_id = w.person_id
               where w.precedence > 0 and n.existing is null
               group by w.person_id) w
           on w.person_id = p.person_id
    where not p.deleted;

    -- The last step: accounts that confirmed a new person's address while this batch ran adopt
    -- them, and adoptions of this batch's people that waited for it (a signup found the person
    -- busy) are completed. Signups wait for this step (the adoption lock): either it sees their
    -- account, or they see these people. An account's row is taken without waiting, as its sync
    -- may hold it while it waits for this lock; busy, the adoption is recorded for reconcile.
    perform pg_catalog.pg_advisory_xact_lock(nura.legacy_adoption_lock());
    for v_match in
        select p.person_id, a.id as account
        from legacy_people p
        join auth.users a on a.email = p.email and not a.is_sso_user and a.deleted_at is null
                         and a.email_confirmed_at is not null and not a.is_anonymous and a.email = any(v_emails)
        where p.existing is null and p.email is not null
        union
        select b.person_id, b.account_id from nura.legacy_blocked_adoptions() b
        join legacy_people p on p.person_id = b.person_id
        order by 2
    loop
        perform from public.users u where u.id = v_match.account for update skip locked;
        if not found and exists (select from public.users u where u.id = v_match.account) then
            perform nura.legacy_block_adoption(v_match.account, v_match.person_id, '55P03', 'the account''s row was busy');
        elsif nura.legacy_adopt_person(v_match.person_id, v_match.account, 'legacy_migration') = 'renamed' then
            perform nura.apply_auth_user(null, (select a from auth.users a where a.id = v_match.account), 'reconcile');
        end if;
        v_matched := v_matched + 1;
    end loop;

    return jsonb_build_object(
        'rows', (select count(*) from legacy_batch),
        'people', (select count(*) from legacy_people),
        'created', v_created,
        'merged', (select count(*) from legacy_people where legacy_rows > 1),
        'matched_to_auth', v_matched + (select count(*) from legacy_people p
                                        where exists (select from auth.users a
                                                      where a.id = p.person_id and a.id = any(v_people))),
        'profiles', v_profiles,
        'conflicts', v_conflicts,
        'deferred', v_deferred);
end
$$;
comment on function nura.legacy_import_batch(integer) is 'Legacy import: imports one batch of legacy people.';
revoke all on function nura.legacy_import_batch(integer) from public;
