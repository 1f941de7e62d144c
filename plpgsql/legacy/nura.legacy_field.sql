-- Where a legacy column lives after the import: the one map of it, which the import writes by,
-- and `legacy switch`'s view reads and its trigger writes by (`legacy verify` keeps a map of its
-- own on purpose, to check this one): `users.<column>`, `<service>.service_preferences`,
-- `<service>.service_metadata` (a key named after the column), or null when the kept legacy
-- table is its only home (ids, password hashes, created_at, custom_users' extra columns).
create or replace function nura.legacy_field(p_table text, p_column text)
returns text
language sql
immutable
set search_path = ''
as $$
select case p_table
    when 'chat_users' then case p_column
        when 'email' then 'users.email'
        when 'full_name' then 'users.full_name'
        when 'phone_number' then 'users.phone_number'
        when 'privacy_settings' then 'users.privacy_settings'
        when 'is_active' then 'users.is_active'
        when 'notification_prefs' then 'chat.service_preferences'
        when 'id' then null when 'password_hash' then null when 'created_at' then null
        else 'chat.service_metadata' end
    when 'voice_users' then case p_column
        when 'name' then 'users.full_name'
        when 'email' then 'users.email'
        when 'phone' then 'users.phone_number'
        when 'id' then null when 'password_hash' then null when 'created_at' then null
        else 'voice.service_metadata' end
    when 'custom_users' then case p_column
        when 'full_name' then 'users.full_name'
        when 'current_streak' then 'users.current_streak'
        when 'xp' then 'users.xp' end
    end
$$;
comment on function nura.legacy_field(text, text) is 'Legacy switch: the normalized home of a legacy column.';
revoke all on function nura.legacy_field(text, text) from public;
