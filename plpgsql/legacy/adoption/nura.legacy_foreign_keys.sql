-- The foreign keys of other tables that reference public.users (id), whether each cascades on
-- update, and (for those that do not, given p_user) whether a row of it references p_user: such
-- a key holds up an adoption, which would move the person's rows to their account. (A key that
-- cascades is not looked into: the move costs what ON UPDATE CASCADE costs, an index scan where
-- the column is indexed, as Supabase's linter asks.)
create or replace function nura.legacy_foreign_keys(p_user uuid)
returns table (constraint_name text, referencing regclass, column_name text, cascades boolean, referenced boolean)
language plpgsql
stable
set search_path = ''
as $$
declare
    k record;
begin
    for k in select c.conname, c.conrelid, a.attname, c.confupdtype = 'c' as cascades
             from pg_catalog.pg_constraint c
             join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
             where c.contype = 'f' and c.confrelid = 'public.users'::regclass
               and c.conrelid <> 'public.user_service_profiles'::regclass  -- merged by nura.legacy_adopt_person
             order by c.conrelid::regclass::text, c.conname loop
        constraint_name := k.conname;
        referencing := k.conrelid;
        column_name := k.attname;
        cascades := k.cascades;
        referenced := null;
        if not k.cascades and p_user is not null then
            execute format('select exists (select from %s where %I = $1)', k.conrelid::regclass, k.attname)
                into referenced using p_user;
        end if;
        return next;
    end loop;
end
$$;
comment on function nura.legacy_foreign_keys(uuid) is 'Legacy import: the foreign keys to public.users, and whether those that do not cascade reference a user.';
revoke all on function nura.legacy_foreign_keys(uuid) from public;
