-- `nura-users legacy switch`: renames each of p_tables (chat_users, voice_users, custom_users in
-- public) to legacy_<name> and puts a view with the old name and the same columns in its place.
-- The view reads each column from its normalized home (nura.legacy_field; rows that map to no
-- one, and columns with no other home, from the kept table) and takes updates through
-- nura.tg_legacy_view_write. It runs with the reader's rights (security_invoker) and gets the
-- table's privileges but those of PUBLIC, anon and authenticated: it is for backend services, and
-- its trigger could not apply the table's row level security (a table with policies is refused).
-- All tables are locked against writes first (readers go on), then checked (every row imported,
-- nura.legacy_verify finds nothing missing, so the view hides nothing a service wrote), then
-- renamed. p_back drops the views and renames the tables back; what was written through a view
-- is already in its table. Returns what it did per table.
create or replace function nura.legacy_switch(p_tables text[], p_back boolean)
returns table (legacy_table text, outcome text)
language plpgsql
set search_path = ''
as $$
declare
    v_names constant text[] := array['chat_users', 'voice_users', 'custom_users'];
    v_todo text[] := '{}'::text[];
    v_table text;
    v_source regclass;
    v_problems bigint;
    v_columns text;
    v_extras text[];
    v_view text;
    v_unready text;
    g record;
begin
    if p_tables is null or cardinality(p_tables) = 0 or not p_tables <@ v_names or array_position(p_tables, null) is not null then
        perform nura.raise_error('PT400', 'only chat_users, voice_users and custom_users can be switched',
                                 'got ' || coalesce(p_tables::text, 'null'));
    end if;
    if p_back then
        foreach v_table in array p_tables loop
            legacy_table := v_table;
            outcome := 'not switched';
            if nura.legacy_switched(v_table) then
                execute format('drop view public.%I', v_table);
                execute format('alter table public.%I rename to %I', 'legacy_' || v_table, v_table);
                outcome := 'switched back: the table is in place again';
            end if;
            return next;
        end loop;
        return;
    end if;

    foreach v_table in array p_tables loop
        continue when nura.legacy_switched(v_table);
        v_source := to_regclass(format('public.%I', v_table));
        continue when v_source is null;
        if (select c.relkind from pg_class c where c.oid = v_source) not in ('r', 'p') then
            perform nura.raise_error('PT400', format('public.%s is not a table', v_table));
        end if;
        if to_regclass(format('public.%I', 'legacy_' || v_table)) is not null then
            perform nura.raise_error('PT400', format('public.legacy_%s exists already', v_table), null,
                                     'rename or drop it: the switch keeps the table under that name');
        end if;
        if exists (select from pg_policy p where p.polrelid = v_source) then
            perform nura.raise_error('PT400', format('%s has row level security policies', v_table),
                'a view over the normalized users cannot apply them to writes',
                'move the clients they serve to /api/users first, then drop the policies');
        end if;
        execute format('lock table public.%I in share row exclusive mode', v_table);
        v_todo := v_todo || v_table;
    end loop;
    foreach v_table in array v_todo loop
        select count(*) into v_problems from nura.legacy_verify(v_table) v where v.legacy_id is not null;
        if v_problems > 0 then
            perform nura.raise_error('PT400',
                format('%s is not fully imported: legacy verify finds %s problem(s) in it', v_table, v_problems), null,
                'run `nura-users legacy import` (again); `nura-users legacy verify` lists them');
        end if;
    end loop;

    foreach v_table in array p_tables loop
        legacy_table := v_table;
        if not v_table = any (v_todo) then
            outcome := case when nura.legacy_switched(v_table) then 'already switched' else 'not present' end;
            return next;
            continue;
        end if;
        v_source := to_regclass(format('public.%I', v_table));
        execute format('alter table public.%I rename to %I', v_table, 'legacy_' || v_table);
        select string_agg(case
                              when h is null then format('l.%I', a.attname)
                              when h like 'users.%' then format(
                                  'case when m.user_id is null then l.%1$I else u.%2$I::%3$s end as %1$I',
                                  a.attname, substr(h, 7), format_type(a.atttypid, a.atttypmod))
                              when h like '%.service_preferences' then format(
                                  'case when m.user_id is null then l.%1$I else s.service_preferences::%2$s end as %1$I',
                                  a.attname, format_type(a.atttypid, a.atttypmod))
                              else format('case when m.user_id is null then l.%1$I else x.%1$I end as %1$I', a.attname)
                          end, ', ' order by a.attnum),
               array_agg(a.attname::text) filter (where h like '%.service_metadata')
          into v_columns, v_extras
          from pg_attribute a cross join lateral nura.legacy_field(v_table, a.attname) h
         where a.attrelid = v_source and a.attnum > 0 and not a.attisdropped;

        v_view := format('create view public.%I with (security_invoker = true) as select %s from public.%I l'
                         ' left join nura.legacy_user_map m on m.legacy_table = %L and m.legacy_id = l.%I'
                         ' left join public.users u on u.id = m.user_id',
                         v_table, v_columns, 'legacy_' || v_table, v_table,
                         case v_table when 'custom_users' then 'user_id' else 'id' end);
        if v_table <> 'custom_users' then
            v_view := v_view || format(' left join public.user_service_profiles s on s.user_id = m.user_id'
                                       ' and s.service_type = %L', case v_table when 'chat_users' then 'chat' else 'voice' end);
        end if;
        if v_extras is not null then  -- the extra columns, typed as the table has them
            v_view := v_view || format(' left join lateral nura.legacy_extras(l, s.service_metadata, %L::text[]) x on true',
                                       v_extras);
        end if;
        execute v_view;
        execute format('comment on view public.%I is %L', v_table,
                       format('nura-users legacy switch: %s over the normalized users; the table is kept as public.legacy_%s',
                              v_table, v_table));
        execute format('create trigger legacy_view_write instead of insert or update or delete on public.%I'
                       ' for each row execute function nura.tg_legacy_view_write()', v_table);

        -- the table's privileges, not what default privileges gave the view, and none for the API roles
        for g in select distinct a.grantee from pg_class c, aclexplode(c.relacl) a
                 where c.oid = to_regclass(format('public.%I', v_table)) and a.grantee <> c.relowner loop
            execute format('revoke all on public.%I from %s', v_table,
                           case g.grantee when 0 then 'public' else g.grantee::regrole::text end);
        end loop;
        v_unready := null;
        for g in select a.grantee, a.privilege_type, a.is_grantable from pg_class c, aclexplode(c.relacl) a
                 where c.oid = v_source and a.grantee <> c.relowner and a.grantee <> 0
                   and a.grantee::regrole::text not in ('anon', 'authenticated') loop
            execute format('grant %s on public.%I to %s%s', g.privilege_type, v_table, g.grantee::regrole::text,
                           case when g.is_grantable then ' with grant option' else '' end);
            if g.privilege_type = 'SELECT' and not (has_table_privilege(g.grantee, 'public.users', 'select')
                                                    and has_table_privilege(g.grantee, 'public.user_service_profiles', 'select')
                                                    and has_table_privilege(g.grantee, 'nura.legacy_user_map', 'select')
                                                    and has_function_privilege(g.grantee,
                                                        'nura.legacy_extras(anyelement, jsonb, text[])', 'execute')) then
                v_unready := concat_ws(', ', v_unready, g.grantee::regrole::text);
            end if;
        end loop;
        outcome := format('switched: a view over the normalized users; the table is kept as public.legacy_%s', v_table)
            || coalesce('; ' || v_unready || ' cannot read it until granted nura_service', '');
        return next;
    end loop;
end
$$;
comment on function nura.legacy_switch(text[], boolean) is 'Legacy switch: puts views over the normalized users in place of legacy tables, or back.';
revoke all on function nura.legacy_switch(text[], boolean) from public;
