-- AFTER UPDATE ON auth.users, per row, only when a column we mirror changed (the trigger's WHEN
-- keeps Auth's role, token and app-metadata writes free of any cost).
create or replace function nura.tg_auth_users__sync_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform nura.sync_auth_user(old, new, 'supabase_auth');
    return null;
end
$$;
comment on function nura.tg_auth_users__sync_update() is 'Trigger: copies what an auth write changed into public.users.';
