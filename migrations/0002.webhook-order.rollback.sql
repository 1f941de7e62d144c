alter table public.users drop column auth_updated_at;
