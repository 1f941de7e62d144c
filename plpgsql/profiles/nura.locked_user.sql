-- The user's row, locked for a write; PT404 for an unknown or deleted user.
create or replace function nura.locked_user(p_user_id uuid)
returns public.users
language plpgsql
set search_path = ''
as $$
declare
    v_user public.users;
begin
    select * into v_user from public.users u where u.id = p_user_id for update;
    if not found or v_user.deleted_at is not null then
        perform nura.raise_error('PT404', 'no such user',
            'user ' || coalesce(p_user_id::text, 'null') || ' does not exist or was deleted');
    end if;
    return v_user;
end
$$;
comment on function nura.locked_user(uuid) is 'Locks a live user''s row; PT404 otherwise.';
revoke all on function nura.locked_user(uuid) from public;
