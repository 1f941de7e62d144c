-- The public.users columns holding personal values: cleared when a user is deleted, and erased
-- from the user's sync-log rows.
create or replace function nura.personal_fields()
returns text[]
language sql
immutable
set search_path = ''
as $$
    select '{email,phone_number,full_name,display_name,bio,avatar_url,privacy_settings}'::text[]
$$;
comment on function nura.personal_fields() is 'The personal columns of public.users, erased on deletion.';
revoke all on function nura.personal_fields() from public;
