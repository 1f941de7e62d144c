-- `nura-users legacy switch`: renames public.<p_table> (chat_users, voice_users or
-- custom_users) to legacy_<p_table> and puts a view with the old name and the same columns in
-- its place. The view reads each column from its normalized home (nura.legacy_field; rows that
-- map to no one, and columns with no other home, from the kept table) and takes updates through
-- nura.tg_legacy_view_write. It runs with the reader's rights (security_invoker), so no one reads
-- more than before, and has exactly the table's privileges. Refused until every row is imported
-- and nura.legacy_verify finds nothing missing, so the view hides nothing a service wrote.
-- p_back drops the view and renames the table back; what was written through the view is
-- already in it. Returns what it did.
create or replace function nura.legacy_switch(p_table text, p_back boolean)
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_kept constant text := 'legacy_' || p_table;
    v_key constant text := case p_table when 'custom_users' then 'user_id' else 'id' end;
    v_service constant text := case p_table when 'chat_users' then 'chat' when 'voice_users' then 'voice' end;
    v_table regclass;
    v_problems bigint;
    v_columns text;
    v_extras text[];
    v_others text[];
    v_view text;
    g record;
begin
    if p_table is null or p_table not in ('chat_users', 'voice_users', 'custom_users') then
        perform nura.raise_error('PT400', 'only chat_users, voice_users and custom_users can be switched',
                                 'got ' || coalesce(p_table, 'null'));
    end if;
    if p_back then
        if not nura.legacy_switched(p_table) then
            return 'not switched';
        end if;
        execute format('drop view public.%I', p_table);
        execute format('alter table public.%I rename to %I', v_kept, p_table);
        return 'switched back: the table is in place again';
    end if;

    if nura.legacy_switched(p_table) then
        return 'already switched';
    end if;
    v_table := to_regclass(format('public.%I', p_table));
    if v_table is null then
        return 'not present';
    end if;
    if (select c.relkind from pg_class c where c.oid = v_table) not in ('r', 'p') then
        perform nura.raise_error('PT400', format('public.%s is not a table', p_table));
    end if;
    if to_regclass(format('public.%I', v_kept)) is not null then
        perform nura.raise_error('PT400', format('public.%s exists already', v_kept), null,
                                 'rename or drop it: the switch keeps the table under that name');
    end if;
    select count(*) into v_problems from nura.legacy_verify() v
    where v.legacy_table = p_table and v.legacy_id is not null;
    if v_problems > 0 then
        perform nura.raise_error('PT400',
            format('%s is not fully imported: legacy verify finds %s problem(s) in it', p_table, v_problems), null,
            'run `nura-users legacy import` (again); `nura-users legacy verify` lists them');
    end if;

    execute format('alter table public.%I rename to %I', p_table, v_kept);
    select string_agg(case
                          when h is null then format('l.%I', a.attname)
                          when h like 'users.%' then format('case when m.user_id is null then l.%1$I else u.%2$I::%3$s end as %1$I',
                                                            a.attname, substr(h, 7), format_type(a.atttypid, a.atttypmod))
                          when h like '%.service_preferences' then format(
                              'case when m.user_id is null then l.%1$I else s.service_preferences::%2$s end as %1$I',
                              a.attname, format_type(a.atttypid, a.atttypmod))
                          else format('case when m.user_id is null then l.%1$I else x.%1$I end as %1$I', a.attname)
                      end, ', ' order by a.attnum),
           array_agg(a.attname::text) filter (where h like '%.service_metadata'),
           array_agg(a.attname::text) filter (where h is null or h not like '%.service_metadata')
      into v_columns, v_extras, v_others
      from pg_attribute a cross join lateral nura.legacy_field(p_table, a.attname) h
     where a.attrelid = v_table and a.attnum > 0 and not a.attisdropped;

    v_view := format('create view public.%I with (security_invoker = true) as select %s from public.%I l'
                     ' left join nura.legacy_user_map m on m.legacy_table = %L and m.legacy_id = l.%I'
                     ' left join public.users u on u.id = m.user_id',
                     p_table, v_columns, v_kept, p_table, v_key);
    if v_service is not null then
        v_view := v_view || format(' left join public.user_service_profiles s on s.user_id = m.user_id'
                                   ' and s.service_type = %L', v_service);
    end if;
    if v_extras is not null then  -- the extra columns, typed as the table has them
        v_view := v_view || format(' left join lateral jsonb_populate_record(null::public.%I, s.service_metadata - %L::text[]) x on true',
                                   v_kept, v_others);
    end if;
    execute v_view;
    execute format('comment on view public.%I is %L', p_table,
                   format('nura-users legacy switch: %s over the normalized users; the table is kept as public.%s',
                          p_table, v_kept));
    execute format('create trigger legacy_view_write instead of insert or update or delete on public.%I'
                   ' for each row execute function nura.tg_legacy_view_write()', p_table);

    -- exactly the table's privileges (default privileges may have granted others on the view)
    for g in select distinct a.grantee from pg_class c, aclexplode(c.relacl) a
             where c.oid = to_regclass(format('public.%I', p_table)) and a.grantee <> c.relowner loop
        execute format('revoke all on public.%I from %s', p_table,
                       case g.grantee when 0 then 'public' else g.grantee::regrole::text end);
    end loop;
    for g in select a.grantee, a.privilege_type, a.is_grantable from pg_class c, aclexplode(c.relacl) a
             where c.oid = v_table and a.grantee <> c.relowner loop
        execute format('grant %s on public.%I to %s%s', g.privilege_type, p_table,
                       case g.grantee when 0 then 'public' else g.grantee::regrole::text end,
                       case when g.is_grantable then ' with grant option' else '' end);
    end loop;
    return format('switched: a view over the normalized users; the table is kept as public.%s', v_kept);
end
$$;
comment on function nura.legacy_switch(text, boolean) is 'Legacy switch: puts a view over the normalized users in place of a legacy table, or back.';
revoke all on function nura.legacy_switch(text, boolean) from public;
