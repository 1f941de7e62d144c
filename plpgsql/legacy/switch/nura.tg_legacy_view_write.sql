-- INSTEAD OF trigger on the views `legacy switch` puts in place of chat_users, voice_users and
-- custom_users: an UPDATE writes each changed column to its normalized home (nura.legacy_field)
-- through the service API, logged like any service's write (source backend_api), and the same
-- values to the kept legacy table, which is how `legacy switch --back` carries them back. Rows
-- cannot be added or deleted through a view: people sign up through Supabase Auth now.
create or replace function nura.tg_legacy_view_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_table constant text := tg_table_name;
    v_key constant text := case tg_table_name when 'custom_users' then 'user_id' else 'id' end;
    v_old jsonb;
    v_new jsonb;
    v_user uuid;
    v_profile jsonb := '{}';
    v_backend jsonb := '{}';
    v_preferences jsonb;
    v_metadata jsonb := '{}';
    v_service text;
    v_unhomed jsonb := '{}';
    v_columns text;
    v_rows bigint;
    c record;
begin
    if tg_op <> 'UPDATE' then
        perform nura.raise_error('PT403',
            format('%s is a view over the normalized users since `nura-users legacy switch`: rows cannot be %s through it',
                   v_table, case tg_op when 'INSERT' then 'added' else 'deleted' end),
            null, 'people sign up through Supabase Auth; `nura-users legacy switch --back` restores the table');
    end if;
    v_old := to_jsonb(old);
    v_new := to_jsonb(new);
    if v_new -> v_key is distinct from v_old -> v_key then
        perform nura.raise_error('PT400', format('%s.%s cannot change through the legacy view', v_table, v_key));
    end if;

    for c in select n.key, n.value, nura.legacy_field(v_table, n.key) as home
             from jsonb_each(v_new) n where n.value is distinct from v_old -> n.key loop
        case
            when c.home = 'users.email' then
                perform nura.raise_error('PT403', format('%s.email cannot change through the legacy view', v_table),
                    null, 'the email belongs to the sign-in: change it in Supabase Auth');
            when c.home = 'users.phone_number' then  -- legacy spellings are made E.164 as the import did
                v_profile := v_profile || jsonb_build_object('phone_number',
                    coalesce(to_jsonb(nura.legacy_phone(c.value #>> '{}')), c.value));
            when c.home = 'users.privacy_settings' then
                v_profile := v_profile || jsonb_build_object('privacy_settings',
                    nura.object_replacement(v_old -> c.key, c.value, c.key));
            when c.home = 'users.full_name' then
                v_profile := v_profile || jsonb_build_object('full_name', c.value);
            when c.home like 'users.%' then  -- is_active, xp, current_streak
                v_backend := v_backend || jsonb_build_object(substr(c.home, 7), c.value);
            when c.home like '%.service_preferences' then
                v_preferences := nura.object_replacement(v_old -> c.key, c.value, c.key);
                v_service := split_part(c.home, '.', 1);
            when c.home like '%.service_metadata' then
                v_metadata := v_metadata || jsonb_build_object(c.key, c.value);
                v_service := split_part(c.home, '.', 1);
            else null;  -- the kept table is its only home
        end case;
        if v_table = 'custom_users' and c.home is null and c.value <> 'null' then  -- recorded, as the import does
            v_unhomed := v_unhomed || jsonb_build_object(c.key, c.value);
        end if;
        v_columns := concat_ws(', ', v_columns, quote_ident(c.key));
    end loop;
    if v_columns is null then
        return new;
    end if;
    if v_old ->> v_key is null then
        perform nura.raise_error('PT400', format('this %s row has no %s, so it cannot be told apart', v_table, v_key));
    end if;

    select m.user_id into v_user from nura.legacy_user_map m
    where m.legacy_table = v_table and m.legacy_id = (v_old ->> v_key)::uuid;
    if v_user is null and (v_profile <> '{}' or v_backend <> '{}' or v_service is not null) then
        perform nura.raise_error('PT404', format('this %s row was never imported', v_table), null,
            '`nura-users legacy switch --back`, then `legacy import`');
    end if;
    if v_profile <> '{}' then
        perform nura.update_profile(v_user, v_profile);
    end if;
    if v_backend <> '{}' then
        perform nura.update_backend_fields(v_user, v_backend);
    end if;
    if v_service is not null then
        perform nura.write_service_profile(v_user, v_service, 'backend_api', v_preferences, nullif(v_metadata, '{}'));
    end if;
    insert into nura.legacy_conflicts (user_id, field, kept_value, kept_source, other_value, other_source)
    select v_user, v_table || '.' || e.key, null, null, e.value #>> '{}', v_table
    from jsonb_each(v_unhomed) e where v_user is not null;
    execute format('update public.%I t set (%s) = (select %2$s from jsonb_populate_record(null::public.%1$I, $1))'
                   ' where t.%3$I = $2', 'legacy_' || v_table, v_columns, v_key)
        using v_new, (v_old ->> v_key)::uuid;
    get diagnostics v_rows = row_count;
    if v_rows > 1 then  -- custom_users may repeat a user_id
        perform nura.raise_error('PT400', format('%s rows of %s have %s %s, so they cannot be told apart through the view',
                                                 v_rows, v_table, v_key, v_old ->> v_key), null,
                                 '`nura-users legacy switch --back`, then merge or delete the duplicates');
    end if;
    return new;
end
$$;
comment on function nura.tg_legacy_view_write() is 'Legacy switch: writes through the legacy views.';
revoke all on function nura.tg_legacy_view_write() from public;
