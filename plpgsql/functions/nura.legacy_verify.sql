-- The legacy import's proof, independent of how it was done: read straight from the legacy
-- tables, every row must be in nura.legacy_user_map, and every non-null value it holds (but the
-- password hash, the id and created_at) must be in the user it became (phones as E.164, emails
-- normalized, notification_prefs keys in the chat profile, voice's extra columns in the voice
-- profile) or recorded in nura.legacy_conflicts; a deleted user's values are erased, not missing.
-- One row per row or value that is not.
create or replace function nura.legacy_verify()
returns table (legacy_table text, legacy_id uuid, field text, value text, problem text)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_table text;
begin
    foreach v_table in array array['chat_users', 'voice_users', 'custom_users'] loop
        continue when to_regclass('public.' || v_table) is null;
        return query execute format($q$
            with legacy as (
                select r, (r ->> %2$L)::uuid as id from public.%1$I t, to_jsonb(t) r
            ), checked as (
                select l.id, m.user_id, u, s, l.r
                from legacy l
                left join nura.legacy_user_map m on m.legacy_table = %1$L and m.legacy_id = l.id
                left join public.users u on u.id = m.user_id
                left join public.user_service_profiles s
                       on s.user_id = m.user_id and s.service_type = %3$L
            )
            select %1$L, c.id, null::text, null::text, 'unmapped'
            from checked c where c.user_id is null
            union all
            select %1$L, c.id, v.field, v.raw, 'missing'
            from checked c
            cross join lateral (values
                ('email', nura.normalized_email(c.r ->> 'email'),
                 nura.normalized_email(c.r ->> 'email') = lower((c.u).email)),
                ('full_name', c.r ->> %4$L, (c.u).full_name = c.r ->> %4$L),
                ('phone_number', c.r ->> %5$L, (c.u).phone_number = nura.legacy_phone(c.r ->> %5$L)),
                ('privacy_settings', case when %1$L = 'chat_users' then c.r ->> 'privacy_settings' end,
                 (c.u).privacy_settings = c.r -> 'privacy_settings'),
                ('is_active', case when %1$L = 'chat_users' then c.r ->> 'is_active' end,
                 (c.u).is_active::text = c.r ->> 'is_active'),
                ('xp', case when %1$L = 'custom_users' then c.r ->> 'xp' end, (c.u).xp::text = c.r ->> 'xp'),
                ('current_streak', case when %1$L = 'custom_users' then c.r ->> 'current_streak' end,
                 (c.u).current_streak::text = c.r ->> 'current_streak')
            ) v(field, raw, found)
            where c.user_id is not null and (c.u).deleted_at is null and v.raw is not null and v.found is not true
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = v.field
                                and x.other_value = v.raw and x.other_source = %1$L)
            union all
            select %1$L, c.id, %6$L, jsonb_build_object(e.key, e.value)::text, 'missing'
            from checked c
            cross join lateral jsonb_each(case when %1$L = 'chat_users'
                                               and jsonb_typeof(c.r -> 'notification_prefs') = 'object'
                                               then c.r -> 'notification_prefs'
                                               when %1$L = 'voice_users'
                                               then c.r - array['id', 'name', 'email', 'phone', 'created_at',
                                                                'password_hash']
                                          end) e
            where c.user_id is not null and (c.u).deleted_at is null and e.value <> 'null'
              and (case %3$L when 'chat' then (c.s).service_preferences else (c.s).service_metadata end) -> e.key
                  is distinct from e.value
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = %6$L and x.other_source = %1$L
                                and x.other_value = jsonb_build_object(e.key, e.value)::text)
            union all
            select %1$L, c.id, %6$L, c.r ->> 'notification_prefs', 'missing'
            from checked c
            where %1$L = 'chat_users' and c.user_id is not null and (c.u).deleted_at is null
              and jsonb_typeof(c.r -> 'notification_prefs') not in ('object', 'null')
              and not exists (select from nura.legacy_conflicts x
                              where x.user_id = c.user_id and x.field = %6$L and x.other_source = %1$L
                                and x.other_value = c.r ->> 'notification_prefs')
            $q$,
            v_table, case v_table when 'custom_users' then 'user_id' else 'id' end,
            case v_table when 'chat_users' then 'chat' when 'voice_users' then 'voice' end,
            case v_table when 'voice_users' then 'name' else 'full_name' end,
            case v_table when 'chat_users' then 'phone_number' when 'voice_users' then 'phone' end,
            case v_table when 'voice_users' then 'voice.service_metadata' else 'chat.service_preferences' end);
    end loop;
end
$$;
comment on function nura.legacy_verify() is 'Legacy import: every legacy row mapped and every value kept or recorded as a conflict.';
revoke all on function nura.legacy_verify() from public;
