-- The normalized user tables, the nura schema and the roles and grants around them.
-- Behaviour (functions, triggers, views) lives in plpgsql/ and is re-applied on every migrate.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'nura_service') then
        create role nura_service nologin;
    end if;
end
$$;

create schema nura;
comment on schema nura is 'nura-users: the sync from auth.users and the functions services and users call';
grant usage on schema nura to nura_service, service_role, authenticated;

create table nura.service_types (
    service_type text primary key check (service_type ~ '^[a-z][a-z0-9_]{0,62}$'),
    default_preferences jsonb not null default '{}' check (jsonb_typeof(default_preferences) = 'object')
);
comment on table nura.service_types is 'The services a user can have a profile for; registering one is an INSERT here.';
insert into nura.service_types (service_type) values ('chat'), ('voice'), ('memory');

create table public.users (
    id uuid primary key,
    email text,
    phone_number text check (phone_number ~ '^\+[0-9]{8,15}$'),
    full_name text check (char_length(full_name) <= 200),
    display_name text check (char_length(display_name) <= 200),
    bio text check (char_length(bio) <= 2000),
    avatar_url text check (char_length(avatar_url) <= 2048 and avatar_url ~* '^https?://'),
    email_confirmed_at timestamptz,
    phone_confirmed_at timestamptz,
    last_sign_in_at timestamptz,
    is_active boolean not null default true,
    current_streak integer not null default 0 check (current_streak >= 0),
    xp integer not null default 0 check (xp >= 0),
    privacy_settings jsonb not null default '{}' check (jsonb_typeof(privacy_settings) = 'object'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    last_active_at timestamptz,
    deleted_at timestamptz,
    -- Where the row came from: only rows from auth.users can drift from it.
    origin text not null
        check (origin in ('supabase_auth', 'supabase_webhook', 'legacy_migration', 'backend_api')),
    constraint users_tombstone_holds_nothing_personal check (
        deleted_at is null or (
            not is_active and email is null and phone_number is null and full_name is null
            and display_name is null and bio is null and avatar_url is null
            and privacy_settings = '{}'
        )
    )
) with (fillfactor = 80);  -- room on the page for HOT updates: sign-ins and tombstones touch no index
comment on table public.users is 'One row per person, keyed by the Supabase auth user id; kept by nura-users.';
create index users_email_idx on public.users (lower(email));

create table public.user_service_profiles (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade on update cascade,
    service_type text not null references nura.service_types (service_type) on update cascade,
    service_preferences jsonb not null default '{}' check (jsonb_typeof(service_preferences) = 'object'),
    service_metadata jsonb not null default '{}' check (jsonb_typeof(service_metadata) = 'object'),
    usage_stats jsonb not null default '{}' check (jsonb_typeof(usage_stats) = 'object'),
    onboarding_completed boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    last_used_at timestamptz,
    unique (user_id, service_type)
);
comment on table public.user_service_profiles is 'Per-service data of a user; written on first use, read as the type''s defaults before.';
create index user_service_profiles_service_type_idx on public.user_service_profiles (service_type);

create table public.user_sync_logs (
    id bigint generated always as identity primary key,
    user_id uuid,  -- no foreign key: a failed first sync is still logged with the user's id
    sync_type text not null check (sync_type in (
        'create', 'update', 'delete', 'profile_update', 'service_update', 'backend_update',
        'reconcile', 'legacy_import')),
    source text not null check (source in (
        'supabase_auth', 'frontend_sync', 'backend_api', 'supabase_webhook', 'reconcile',
        'legacy_migration')),
    before_data jsonb,
    after_data jsonb,
    success boolean not null,
    error_message text,
    request_id text,
    session_id text,
    created_at timestamptz not null default now(),
    constraint user_sync_logs_failure_has_error check (success or error_message is not null)
);
comment on table public.user_sync_logs is 'Why every row of public.users is as it is: one row per change, only the changed fields.';
create index user_sync_logs_user_id_idx on public.user_sync_logs (user_id, id);
create index user_sync_logs_failed_idx on public.user_sync_logs (user_id, id) where not success;
create index user_sync_logs_created_at_idx on public.user_sync_logs using brin (created_at);

-- Supabase's default privileges granted these to anon/authenticated/service_role: take that back,
-- then give exactly what each role needs. RLS is the second barrier.
revoke all on public.users, public.user_service_profiles, public.user_sync_logs from anon, authenticated, service_role;
revoke all on sequence public.user_sync_logs_id_seq from anon, authenticated, service_role;
grant select on public.users, public.user_service_profiles to authenticated;
grant select on public.users, public.user_service_profiles, public.user_sync_logs to service_role, nura_service;
grant select on nura.service_types to service_role, nura_service, authenticated;

alter table public.users enable row level security;
alter table public.user_service_profiles enable row level security;
alter table public.user_sync_logs enable row level security;
create policy users_select_own on public.users
    for select to authenticated using (id = (select auth.uid()));
create policy user_service_profiles_select_own on public.user_service_profiles
    for select to authenticated using (user_id = (select auth.uid()));
create policy users_read_all on public.users for select to service_role, nura_service using (true);
create policy user_service_profiles_read_all on public.user_service_profiles
    for select to service_role, nura_service using (true);
create policy user_sync_logs_read_all on public.user_sync_logs
    for select to service_role, nura_service using (true);
