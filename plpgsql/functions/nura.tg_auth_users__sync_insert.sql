-- AFTER INSERT ON auth.users, once per statement: creates the new users' rows set-based. If that
-- fails, each row is retried alone, so one bad row is logged as failed and the others sync.
-- Security definer: Auth runs it as supabase_auth_admin, which may not write public.users.
create or replace function nura.tg_auth_users__sync_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_row auth.users;
begin
    begin
        perform nura.create_users_from_auth(array(select n::auth.users from new_auth_users n), 'supabase_auth');
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;
        for v_row in select * from new_auth_users loop
            perform nura.sync_auth_user(null, v_row, 'supabase_auth');
        end loop;
    end;
    return null;
end
$$;
comment on function nura.tg_auth_users__sync_insert() is 'Trigger: mirrors new auth users into public.users.';
