-- `nura-users legacy repoint TABLE.COLUMN`: a column holding chat_users or voice_users ids (its
-- foreign key says which) is rewritten to the user ids they were imported as, and its foreign
-- key now references public.users (on update cascade: adoption gives a legacy person the auth
-- id). Each row's legacy id is kept in nura.legacy_repoint_values, so p_back puts every row's
-- own id back (a row whose person has since changed gets one of the new person's legacy rows;
-- refused when a person has none) together with the foreign key as it was. Returns how many
-- rows hold user ids (or legacy ids again), null when there is nothing to do.
create or replace function nura.legacy_repoint(p_table regclass, p_column text, p_back boolean)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_schema text;
    v_name text;
    v_attnum smallint;
    v_key text;
    v_fk record;
    v_state nura.legacy_repoints;
    v_legacy regclass;
    v_count bigint;
    v_repointed boolean;
begin
    select n.nspname, c.relname into v_schema, v_name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = p_table;
    select a.attnum into v_attnum from pg_attribute a
    where a.attrelid = p_table and a.attname = p_column and a.attnum > 0 and not a.attisdropped;
    if v_attnum is null then
        perform nura.raise_error('PT404', format('%s has no column %s', p_table, coalesce(p_column, 'null')));
    end if;
    -- rows are told apart by their primary key (with the column's user id, should the key hold the
    -- column), so each gets its own legacy id back
    if not exists (select from pg_index i where i.indrelid = p_table and i.indisprimary) then
        perform nura.raise_error('PT400', format('%s has no primary key', p_table), null,
                                 'repoint needs one to put each row''s legacy id back with --back');
    end if;
    select 'jsonb_build_array(' || coalesce(string_agg(format('t.%I', a.attname), ', ' order by k.n), '') || ')'
      into v_key
      from pg_index i cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = p_table and i.indisprimary and a.attnum <> v_attnum;
    select * into v_state from nura.legacy_repoints r
    where (r.table_schema, r.table_name, r.column_name) = (v_schema, v_name, p_column);
    v_repointed := found;

    if not p_back then
        if v_repointed then
            return null;
        end if;
        select con.conname, con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred,
               regexp_replace(rc.relname, '^legacy_', '') as legacy_table, ra.attname as legacy_column
          into v_fk
          from pg_constraint con
          join pg_class rc on rc.oid = con.confrelid
          join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = con.confkey[1]
         where con.conrelid = p_table and con.contype = 'f' and con.conkey = array[v_attnum]
           and rc.relnamespace = 'public'::regnamespace
           and rc.relname in ('chat_users', 'voice_users', 'legacy_chat_users', 'legacy_voice_users');
        if not found then
            perform nura.raise_error('PT400',
                format('%s.%s has no foreign key to chat_users or voice_users', p_table, p_column), null,
                'repoint follows the foreign key to know which legacy ids the column holds');
        end if;
        execute format('select count(*) from %s t where t.%I is not null and not exists (select from nura.legacy_user_map m'
                       ' where m.legacy_table = %L and m.legacy_id = t.%2$I)', p_table, p_column, v_fk.legacy_table)
           into v_count;
        if v_count > 0 then
            perform nura.raise_error('PT400', format('%s rows of %s hold %s ids not imported yet', v_count, p_table,
                                                     v_fk.legacy_table), null, 'run `nura-users legacy import` first');
        end if;
        insert into nura.legacy_repoints (table_schema, table_name, column_name, legacy_table, legacy_column,
                                          constraint_name, on_update, on_delete, is_deferrable, is_deferred,
                                          rows_rewritten)
        values (v_schema, v_name, p_column, v_fk.legacy_table, v_fk.legacy_column, v_fk.conname, v_fk.confupdtype,
                v_fk.confdeltype, v_fk.condeferrable, v_fk.condeferred, 0);
        execute format('insert into nura.legacy_repoint_values (table_schema, table_name, column_name, row_key, legacy_id)'
                       ' select %L, %L, %L, %s, t.%I from %s t where t.%5$I is not null',
                       v_schema, v_name, p_column, v_key, p_column, p_table);
        get diagnostics v_count = row_count;
        update nura.legacy_repoints r set rows_rewritten = v_count
        where (r.table_schema, r.table_name, r.column_name) = (v_schema, v_name, p_column);
        execute format('alter table %s drop constraint %I', p_table, v_fk.conname);
        execute format('update %s t set %I = m.user_id from nura.legacy_user_map m'
                       ' where m.legacy_table = %L and m.legacy_id = t.%2$I', p_table, p_column, v_fk.legacy_table);
        execute format('alter table %s add constraint %I foreign key (%I) references public.users (id) on update cascade%s',
                       p_table, left(v_name || '_' || p_column || '_users_fkey', 63), p_column,
                       nura.foreign_key_action(v_fk.confdeltype, 'delete'));
        return v_count;
    end if;

    if not v_repointed then
        return null;
    end if;
    v_legacy := nura.legacy_source(v_state.legacy_table);
    if v_legacy is null then
        perform nura.raise_error('PT400', format('public.%s is gone', v_state.legacy_table), null,
                                 'the foreign key can only point back at the legacy table while it exists');
    end if;
    -- each row's own legacy id while it is still that person's, else one of the person's rows
    perform 'PRAGMA:TABLE: legacy_repoint_back (row_key jsonb, user_id uuid, legacy_id uuid)';  -- for plpgsql_check
    execute format(
        'create temp table legacy_repoint_back on commit drop as
         select %1$s as row_key, t.%5$I as user_id, coalesce(
             (select m.legacy_id from nura.legacy_user_map m
              join nura.legacy_repoint_values v
                on (v.table_schema, v.table_name, v.column_name, v.row_key, v.legacy_id) = (%3$L, %4$L, %5$L, %1$s, m.legacy_id)
              where m.legacy_table = %2$L and m.user_id = t.%5$I limit 1),
             (select m.legacy_id from nura.legacy_user_map m
              where m.legacy_table = %2$L and m.user_id = t.%5$I order by m.legacy_id limit 1)) as legacy_id
         from %6$s t where t.%5$I is not null',
        v_key, v_state.legacy_table, v_schema, v_name, p_column, p_table);
    select count(*) into v_count from pg_temp.legacy_repoint_back b where b.legacy_id is null;
    if v_count > 0 then
        perform nura.raise_error('PT400',
            format('%s rows of %s point at users with no %s row', v_count, p_table, v_state.legacy_table),
            'people who signed up after the move have no legacy id to go back to',
            format('delete those rows or set %s to null first', p_column));
    end if;
    for v_fk in select con.conname from pg_constraint con
                where con.conrelid = p_table and con.contype = 'f' and con.conkey = array[v_attnum]
                  and con.confrelid = 'public.users'::regclass loop
        execute format('alter table %s drop constraint %I', p_table, v_fk.conname);
    end loop;
    execute format('update %s t set %I = b.legacy_id from pg_temp.legacy_repoint_back b'
                   ' where %s = b.row_key and t.%2$I = b.user_id and t.%2$I is distinct from b.legacy_id',
                   p_table, p_column, v_key);
    select count(*) into v_count from pg_temp.legacy_repoint_back;
    execute format('alter table %s add constraint %I foreign key (%I) references %s (%I)%s%s%s',
                   p_table, v_state.constraint_name, p_column, v_legacy, v_state.legacy_column,
                   nura.foreign_key_action(v_state.on_update, 'update'),
                   nura.foreign_key_action(v_state.on_delete, 'delete'),
                   case when v_state.is_deferrable then ' deferrable' || case when v_state.is_deferred
                                                                         then ' initially deferred' else '' end
                        else '' end);
    delete from nura.legacy_repoints r where (r.table_schema, r.table_name, r.column_name) = (v_schema, v_name, p_column);
    drop table pg_temp.legacy_repoint_back;
    return v_count;
end
$$;
comment on function nura.legacy_repoint(regclass, text, boolean) is 'Legacy repoint: moves a column from legacy ids to user ids, or back.';
revoke all on function nura.legacy_repoint(regclass, text, boolean) from public;
