-- The schema first: it takes our functions, views and the triggers on auth.users with it.
drop schema nura cascade;
drop table public.user_sync_logs;
drop table public.user_service_profiles;
drop table public.users;
do $$
begin
    drop role if exists nura_service;
exception when dependent_objects_still_exist then
    null;  -- another database of this cluster still uses the role
end
$$;
