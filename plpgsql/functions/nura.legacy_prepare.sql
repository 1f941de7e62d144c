-- The legacy import's first step: every row of public.chat_users, voice_users and custom_users
-- (those present) into nura.legacy_rows in one shape, each with the person it belongs to, and
-- the people cut into batches of p_batch_size. Deterministic, so a run after a crash plans the
-- same people; a row imported before keeps the user it became (and is imported again only when
-- it changed since: nura.legacy_user_map keeps a digest of each row as imported).
-- People: a normalized email is one person, whose id is the non-SSO, not deleted auth user's
-- with that email, else the user an earlier run made for it, else the first chat row's (then
-- voice's) by created_at; a row without an email is a person of its own; custom_users.user_id
-- names its person (an auth user, a chat or voice row's person, or else a person of its own).
-- Returns the number of batches.
create or replace function nura.legacy_prepare(p_batch_size integer)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_table text;
    v_source regclass;
begin
    if p_batch_size is null or p_batch_size < 1 then
        perform nura.raise_error('PT400', 'the batch size must be a positive number');
    end if;
    truncate nura.legacy_rows;
    foreach v_table in array array['chat_users', 'voice_users', 'custom_users'] loop
        v_source := nura.legacy_source(v_table);  -- the kept table while switched
        continue when v_source is null;
        -- rows as jsonb: the tables' extra columns and column types vary; hashes never leave
        execute format(
            'insert into nura.legacy_rows (legacy_table, legacy_id, precedence, row_data, row_digest, email, created_at)
             select %L, (r ->> %L)::uuid, %s, r, md5(r::text), nura.normalized_email(r ->> ''email''),
                    (r ->> ''created_at'')::timestamptz
             from %s t, lateral (select to_jsonb(t) - ''password_hash'') x(r)
             where r ->> %2$L is not null',
            v_table, case v_table when 'custom_users' then 'user_id' else 'id' end,
            array_position(array['chat_users', 'voice_users', 'custom_users'], v_table), v_source);
    end loop;

    -- one digest for rows sharing an id (custom_users may repeat a user_id): they are imported together
    update nura.legacy_rows r set row_digest = d.digest
      from (select legacy_id, md5(string_agg(row_digest, '' order by row_digest)) as digest
            from nura.legacy_rows where legacy_table = 'custom_users'
            group by legacy_id having count(*) > 1) d
     where r.legacy_table = 'custom_users' and r.legacy_id = d.legacy_id;

    -- rows imported before keep their user
    update nura.legacy_rows r set person_id = m.user_id
      from nura.legacy_user_map m
     where m.legacy_table = r.legacy_table and m.legacy_id = r.legacy_id;

    with auth_people as (
        select nura.normalized_email(a.email) as email, (array_agg(a.id order by a.created_at, a.id))[1] as id
        from auth.users a
        where not a.is_sso_user and a.deleted_at is null and nura.normalized_email(a.email) is not null
        group by 1
    ), email_people as (
        select r.email,
               (array_agg(r.person_id) filter (where r.person_id is not null))[1] as earlier,
               (array_agg(r.legacy_id order by r.precedence, r.created_at nulls last, r.legacy_id))[1] as first_row
        from nura.legacy_rows r
        where r.email is not null and r.legacy_table <> 'custom_users'
        group by r.email
    )
    update nura.legacy_rows r set person_id = coalesce(a.id, e.earlier, e.first_row)
      from email_people e left join auth_people a on a.email = e.email
     where r.email = e.email and r.legacy_table <> 'custom_users' and r.person_id is null;

    update nura.legacy_rows r set person_id = r.legacy_id
     where r.person_id is null and r.legacy_table <> 'custom_users';

    update nura.legacy_rows r set person_id = coalesce(
            (select a.id from auth.users a where a.id = r.legacy_id),
            (select o.person_id from nura.legacy_rows o
             where o.legacy_id = r.legacy_id and o.legacy_table <> 'custom_users'
             order by o.precedence limit 1),
            r.legacy_id)
     where r.person_id is null;

    with numbered as (
        select p.person_id, (dense_rank() over (order by p.person_id) - 1) / p_batch_size as batch
        from (select distinct person_id from nura.legacy_rows) p
    )
    update nura.legacy_rows r set batch = n.batch from numbered n where n.person_id = r.person_id;
    analyze nura.legacy_rows;
    return coalesce((select max(batch) + 1 from nura.legacy_rows), 0);
end
$$;
comment on function nura.legacy_prepare(integer) is 'Legacy import: stages the legacy rows with their people, in batches.';
revoke all on function nura.legacy_prepare(integer) from public;
