-- The signed-in user's row (not locked): PT401 without a signed-in user, PT404 if the user is
-- not synced yet or was deleted.
create or replace function nura.signed_in_user()
returns public.users
language plpgsql
stable
set search_path = ''
as $$
declare
    v_id constant uuid := nura.current_user_id();  -- PT401 here, before any query
    v_user public.users;
begin
    select * into v_user from public.users u where u.id = v_id;
    if not found or v_user.deleted_at is not null then
        perform nura.raise_error('PT404', 'no such user', 'the signed-in user is not synced or was deleted');
    end if;
    return v_user;
end
$$;
comment on function nura.signed_in_user() is 'The signed-in user''s row; PT401 or PT404 otherwise.';
revoke all on function nura.signed_in_user() from public;
