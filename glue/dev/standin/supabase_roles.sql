-- The Supabase platform roles, for `nura-users dev` and the tests only (never installed by
-- `migrate`): cluster-wide, so created only where missing. Run by the superuser `supabase_admin`.
-- `postgres` is the project owner as on hosted Supabase: not a superuser.

do $roles$
declare
    r record;
begin
    for r in
        select * from (values
            ('anon',                'nologin noinherit'),
            ('authenticated',       'nologin noinherit'),
            ('service_role',        'nologin noinherit bypassrls'),
            ('authenticator',       'login noinherit'),
            ('supabase_auth_admin', 'login noinherit createrole'),
            ('postgres',            'login createdb createrole replication bypassrls')
        ) as v(name, options)
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = r.name) then
            execute format('create role %I %s', r.name, r.options);
        end if;
    end loop;
end
$roles$;

grant anon, authenticated, service_role to authenticator;
grant supabase_auth_admin, anon, authenticated, service_role to postgres;
alter role supabase_auth_admin set search_path = auth;
