-- The legacy import's first step: every row of public.chat_users, voice_users and custom_users
-- (those present; the kept tables while switched) into nura.legacy_rows in one shape, each with
-- the person it belongs to and its batch: the people are planned on the rows' keys, emails and
-- created_at, then each whole row is read and written once, both in one snapshot. Deterministic,
-- so a run after a crash plans the same people; a row imported before keeps the user it became
-- (and is imported again only when it changed since: nura.legacy_user_map keeps a digest of each
-- row as imported).
-- People: a normalized email is one person, whose id is the non-SSO, not deleted auth user's
-- that confirmed that email, else the user an earlier run made for it, else the first chat row's (then
-- voice's) by created_at; a row without an email is a person of its own; custom_users.user_id
-- names its person (an auth user, a chat or voice row's person, or else a person of its own).
-- A person's batch is a hash of their id, so batches hold about p_batch_size legacy rows.
-- Returns the number of batches.
create or replace function nura.legacy_prepare(p_batch_size integer)
returns integer
language plpgsql
set search_path = ''
set work_mem = '128MB'  -- the joins and sorts over every legacy row stay in memory
as $$
declare
    v_rows text;
    v_whole_rows text;
    v_count_rows text;
    v_count bigint := 0;
    v_batches integer;
begin
    if current_setting('transaction_isolation') = 'read committed' then
        perform nura.raise_error('PT400', 'the legacy import plans its people and stages their rows in one snapshot',
                                 null, 'run nura.legacy_prepare in a repeatable read transaction');
    end if;
    if p_batch_size is null or p_batch_size < 1 then
        perform nura.raise_error('PT400', 'the batch size must be a positive number');
    end if;
    if exists (select from nura.legacy_rows) then
        perform nura.raise_error('PT400', 'rows of another import are staged', null,
                                 'clear them first with nura.legacy_clear_staging()');
    end if;
    -- Two shapes of each table: its plan's columns (key, email, created_at, read as the whole
    -- row's jsonb would give them, whatever their types; a table may lack email or created_at, as
    -- custom_users does), and its whole rows as jsonb (the tables' extra columns and column types
    -- vary; hashes never leave). The people are planned on the narrow rows; the whole rows are
    -- read once, to be staged. Both are read in the one snapshot of the transaction.
    select string_agg(q.narrow_cols || q.source_rows, ' union all ' order by t.precedence),
           string_agg(q.narrow_cols || $c$, to_jsonb(t) - 'password_hash' as row_data$c$ || q.source_rows,
                      ' union all ' order by t.precedence),
           string_agg(format('(select count(*) from %s where %I is not null)', t.source, t.key), ' + ')
      into v_rows, v_whole_rows, v_count_rows
      from (select n.name, n.precedence, nura.legacy_source(n.name) as source,
                   case n.name when 'custom_users' then 'user_id' else 'id' end as key,
                   array(select a.attname::text from pg_catalog.pg_attribute a
                         where a.attrelid = nura.legacy_source(n.name) and a.attnum > 0 and not a.attisdropped) as columns
            from unnest(array['chat_users', 'voice_users', 'custom_users']) with ordinality n(name, precedence)) t
      cross join lateral (
          select format('select %L::text as legacy_table, t.%I::uuid as legacy_id, %s as precedence, %s as email, %s as created_at',
                        t.name, t.key, t.precedence,
                        case when t.columns @> '{email}' then $e$nullif(lower(btrim(to_jsonb(t.email) #>> '{}', E' \t\n\r\f')), '')$e$
                             else 'null::text' end,
                        case when t.columns @> '{created_at}' then $c$(to_jsonb(t.created_at) #>> '{}')::timestamptz$c$
                             else 'null::timestamptz' end),
                 format(' from %s t where t.%I is not null', t.source, t.key)
      ) q(narrow_cols, source_rows)
     where t.source is not null;
    if v_rows is null then
        return 0;
    end if;
    execute 'select ' || v_count_rows into v_count;
    v_batches := greatest(1, ceil(v_count::numeric / p_batch_size));

    drop table if exists pg_temp.legacy_plan;
    execute format($q$
        create temp table legacy_plan on commit drop as
        with raw as (%s),
        auth_people as (
            select nullif(lower(btrim(a.email, E' \t\n\r\f')), '') as email,
                   (array_agg(a.id order by a.created_at, a.id))[1] as id
            from auth.users a  -- only a confirmed address claims its person
            where not a.is_sso_user and a.deleted_at is null and a.email_confirmed_at is not null
              and not a.is_anonymous
            group by 1
        ), rows_seen as (
            select r.*, m.user_id as earlier
            from raw r left join nura.legacy_user_map m on m.legacy_table = r.legacy_table and m.legacy_id = r.legacy_id
        ), email_people as (
            select e.email, coalesce(a.id, e.earlier, e.first_row) as person_id
            from (select s.email, (array_agg(s.earlier) filter (where s.earlier is not null))[1] as earlier,
                         (array_agg(s.legacy_id order by s.precedence, s.created_at nulls last, s.legacy_id))[1] as first_row
                  from rows_seen s
                  where s.email is not null and s.legacy_table <> 'custom_users'
                  group by s.email) e
            left join auth_people a on a.email = e.email
        ), service_people as (  -- chat and voice rows
            select s.legacy_table, s.legacy_id, coalesce(s.earlier, e.person_id, s.legacy_id) as person_id, s.precedence
            from rows_seen s left join email_people e on e.email = s.email
            where s.legacy_table <> 'custom_users'
        )
        select legacy_table, legacy_id, person_id from service_people
        union all
        select distinct s.legacy_table, s.legacy_id, coalesce(s.earlier, a.id, p.person_id, s.legacy_id)
        from rows_seen s  -- custom_users may repeat a user_id
        left join auth.users a on a.id = s.legacy_id
        left join (select distinct on (legacy_id) legacy_id, person_id from service_people
                   order by legacy_id, precedence) p on p.legacy_id = s.legacy_id
        where s.legacy_table = 'custom_users'
        $q$, v_rows);
    analyze pg_temp.legacy_plan;

    execute format($q$
        insert into nura.legacy_rows (legacy_table, legacy_id, precedence, row_data, row_digest, email, created_at,
                                      person_id, batch)
        select r.legacy_table, r.legacy_id, r.precedence, r.row_data, md5(r.row_data::text), r.email, r.created_at,
               p.person_id, (hashtextextended(p.person_id::text, 0) & 9223372036854775807) %% %s
        from (%s) r join pg_temp.legacy_plan p on p.legacy_table = r.legacy_table and p.legacy_id = r.legacy_id
        $q$, v_batches, v_whole_rows);
    drop table pg_temp.legacy_plan;

    -- one digest for rows sharing an id (custom_users may repeat a user_id): they are imported together
    update nura.legacy_rows r set row_digest = d.digest
      from (select legacy_id, md5(string_agg(row_digest, '' order by row_digest)) as digest
            from nura.legacy_rows where legacy_table = 'custom_users'
            group by legacy_id having count(*) > 1) d
     where r.legacy_table = 'custom_users' and r.legacy_id = d.legacy_id;
    analyze nura.legacy_rows;
    -- an account among the people without its public.users row (its sync failed) gets it now,
    -- from Auth, so that no batch makes a row beside the account's own sync
    perform nura.create_users_from_auth(
        array(select a from auth.users a
              where a.id in (select r.person_id from nura.legacy_rows r)
                and not exists (select from public.users u where u.id = a.id)), 'reconcile');
    return v_batches;
end
$$;
comment on function nura.legacy_prepare(integer) is 'Legacy import: stages the legacy rows with their people, in batches.';
revoke all on function nura.legacy_prepare(integer) from public;
