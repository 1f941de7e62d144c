-- The signed-in user of this request (auth.uid() from the transaction's claims); PT401 if none.
create or replace function nura.current_user_id()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
    v_id uuid := auth.uid();
begin
    if v_id is null then
        perform nura.raise_error('PT401', 'no signed-in user', 'the request carries no user claims',
            'send a Supabase access token');
    end if;
    return v_id;
end
$$;
comment on function nura.current_user_id() is 'The signed-in user''s id; PT401 without one.';
revoke all on function nura.current_user_id() from public;
