-- The function reads the columns; migrate re-creates it.
drop function if exists nura.sync_from_auth(jsonb, jsonb, text, text);
alter table public.users drop column auth_fields;
alter table public.users drop column auth_updated_at;
