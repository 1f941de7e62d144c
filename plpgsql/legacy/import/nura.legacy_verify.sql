-- The legacy import's proof, written apart from it: read straight from the legacy tables (the
-- kept ones while switched), every row must be in nura.legacy_user_map, and every non-null value
-- it holds (but the password hash, the id and created_at) must be in the user it became (phones
-- as E.164, emails trimmed and lower-cased, notification_prefs keys in the chat profile's
-- preferences, their extra columns in the chat or voice profile's metadata) or be
-- recorded in nura.legacy_conflicts (custom_users' extra columns always are; an adoption that
-- merged two rows records the person's values as from legacy_migration), or have been there
-- and been replaced by a later write the sync log shows; a deleted user's values are erased, not
-- missing. One row per row or value that is not; p_table checks one table.
create or replace function nura.legacy_verify(p_table text default null)
returns table (legacy_table text, legacy_id uuid, field text, value text, problem text)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_table text;
    v_source regclass;
    r record;
begin
    foreach v_table in array array['chat_users', 'voice_users', 'custom_users'] loop
        v_source := nura.legacy_source(v_table);
        continue when v_source is null or v_table is distinct from coalesce(p_table, v_table);
        perform 'PRAGMA:TYPE: r (legacy_table text, legacy_id uuid, field text, value text, problem text)';  -- for plpgsql_check
        for r in execute format($q$
            with legacy as (
                select r, t.%2$I::uuid as id from %6$s t, to_jsonb(t) r
            ), checked as (
                select l.id, m.user_id, l.r, u.deleted_at is not null as deleted,
                       jsonb_build_object('email', u.email, 'full_name', u.full_name, 'phone_number', u.phone_number,
                                          'privacy_settings', u.privacy_settings, 'is_active', u.is_active,
                                          'xp', u.xp, 'current_streak', u.current_streak) as uj,
                       s.service_preferences, s.service_metadata
                from legacy l
                left join nura.legacy_user_map m on m.legacy_table = %1$L and m.legacy_id = l.id
                left join public.users u on u.id = m.user_id
                left join public.user_service_profiles s
                       on s.user_id = m.user_id and s.service_type = %3$L
            )
            select %1$L as legacy_table, c.id as legacy_id, null::text as field, null::text as value, 'unmapped' as problem
            from checked c where c.user_id is null
            union all
            select %1$L, c.id, v.field, v.raw, 'missing'
            from checked c
            cross join lateral (values
                ('email', c.r ->> 'email', to_jsonb(nullif(lower(btrim(c.r ->> 'email', E' \t\n\r\f')), ''))),
                ('full_name', c.r ->> %4$L, c.r -> %4$L),
                -- E.164: a leading + or 00, then the digits ("(0)" is a trunk prefix, not a digit)
                ('phone_number', c.r ->> %5$L,
                 case when c.r ->> %5$L ~ '^\s*(\+|00)'
                      then to_jsonb('+' || regexp_replace(regexp_replace(c.r ->> %5$L, '^\s*(\+|00)|\(0\)', '', 'g'),
                                                          '[^0-9]', '', 'g')) end),
                ('privacy_settings', case when %1$L = 'chat_users' then c.r ->> 'privacy_settings' end, c.r -> 'privacy_settings'),
                ('is_active', case when %1$L = 'chat_users' then c.r ->> 'is_active' end, c.r -> 'is_active'),
                ('xp', case when %1$L = 'custom_users' then c.r ->> 'xp' end, c.r -> 'xp'),
                ('current_streak', case when %1$L = 'custom_users' then c.r ->> 'current_streak' end, c.r -> 'current_streak')
            ) v(field, raw, normalized)
            where c.user_id is not null and not c.deleted and v.raw is not null
              and (v.field <> 'email' or v.normalized is not null)
              and (c.uj -> v.field is distinct from v.normalized or v.normalized is null)
              and not (v.field = 'email' and lower(c.uj ->> 'email') = v.normalized #>> '{}')
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = v.field
                                and x.other_value in (v.raw, v.normalized #>> '{}')
                                and x.other_source in (%1$L, 'legacy_migration'))  -- a merge's: the person's row
              -- or it was there, and a later write replaced it
              and not exists (select from public.user_sync_logs g
                              where g.user_id = c.user_id and g.before_data -> v.field = v.normalized)
            union all
            select %1$L, c.id, e.field, jsonb_build_object(e.key, e.value)::text, 'missing'
            from checked c
            cross join lateral (
                select 'chat.service_preferences', p.key, p.value
                from jsonb_each(case when jsonb_typeof(c.r -> 'notification_prefs') = 'object'
                                     then c.r -> 'notification_prefs' end) p
                union all
                select %3$L || '.service_metadata', x.key, x.value
                from jsonb_each(case %1$L
                    when 'chat_users' then c.r - array['id', 'email', 'full_name', 'phone_number', 'password_hash',
                                                       'privacy_settings', 'notification_prefs', 'is_active', 'created_at']
                    when 'voice_users' then c.r - array['id', 'name', 'email', 'phone', 'password_hash', 'created_at']
                    end) x
            ) e(field, key, value)
            where c.user_id is not null and not c.deleted and e.value <> 'null'
              and (case e.field when 'chat.service_preferences' then c.service_preferences
                                else c.service_metadata end) -> e.key is distinct from e.value
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = e.field
                                and x.other_source in (%1$L, 'legacy_migration')
                                and x.other_value = jsonb_build_object(e.key, e.value)::text)
              and not exists (select from public.user_sync_logs g
                              where g.user_id = c.user_id and g.before_data -> e.field -> e.key = e.value)
            union all
            select %1$L, c.id, 'chat.service_preferences', c.r ->> 'notification_prefs', 'missing'
            from checked c
            where %1$L = 'chat_users' and c.user_id is not null and not c.deleted
              and jsonb_typeof(c.r -> 'notification_prefs') not in ('object', 'null')
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = 'chat.service_preferences'
                                and x.other_source = %1$L and x.other_value = c.r ->> 'notification_prefs')
            union all
            select %1$L, c.id, 'custom_users.' || x.key, x.value #>> '{}', 'missing'
            from checked c
            cross join lateral jsonb_each(c.r - array['user_id', 'full_name', 'current_streak', 'xp']) x
            where %1$L = 'custom_users' and c.user_id is not null and not c.deleted and x.value <> 'null'
              and not exists (select from nura.legacy_conflicts k
                              where k.user_id = c.user_id and k.field = 'custom_users.' || x.key
                                and k.other_source = %1$L and k.other_value = x.value #>> '{}')
            $q$,
            v_table, case v_table when 'custom_users' then 'user_id' else 'id' end,
            case v_table when 'chat_users' then 'chat' when 'voice_users' then 'voice' end,
            case v_table when 'voice_users' then 'name' else 'full_name' end,
            case v_table when 'chat_users' then 'phone_number' when 'voice_users' then 'phone' end,
            v_source)
        loop
            legacy_table := r.legacy_table;
            legacy_id := r.legacy_id;
            field := r.field;
            value := r.value;
            problem := r.problem;
            return next;
        end loop;
    end loop;
end
$$;
comment on function nura.legacy_verify(text) is 'Legacy import: every legacy row mapped and every value kept or recorded as a conflict.';
revoke all on function nura.legacy_verify(text) from public;
