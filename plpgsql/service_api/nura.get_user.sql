-- For services: the user's row as JSON (a deleted user's tombstone included), null if unknown.
create or replace function nura.get_user(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (select to_jsonb(u) from public.users u where u.id = p_user_id);
end
$$;
comment on function nura.get_user(uuid) is 'Service API: a user as JSON, null if unknown.';
revoke all on function nura.get_user(uuid) from public;
grant execute on function nura.get_user(uuid) to nura_service, service_role;
