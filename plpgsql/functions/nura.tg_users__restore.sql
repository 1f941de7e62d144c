-- BEFORE INSERT on public.users, for rows that carry their own updated_at (a restore, or a copy
-- from another database; the sync's rows never do): a data-only restore brings auth.users back
-- first, and the sync makes each user's row from it; when that user's backed-up row arrives, it
-- replaces the row the sync made, with that sync's log rows (written in the same transaction,
-- so their created_at is the row's updated_at), as long as nothing else has touched the row.
-- Any other row with that id stands, and the insert fails on the key as it would without us.
create or replace function nura.tg_users__restore()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_made public.users;
begin
    select * into v_made from public.users u where u.id = new.id for update;
    if found and v_made.origin = 'supabase_auth' and v_made.deleted_at is null
       and v_made.display_name is null and v_made.bio is null and v_made.privacy_settings = '{}'
       and v_made.xp = 0 and v_made.current_streak = 0 and v_made.last_active_at is null
       and not exists (select from public.user_service_profiles p where p.user_id = new.id)
       and not exists (select from public.user_sync_logs l
                       where l.user_id = new.id and l.created_at > v_made.updated_at) then
        delete from public.user_sync_logs l
         where l.user_id = new.id and l.source = 'supabase_auth' and l.created_at = v_made.updated_at;
        delete from public.users u where u.id = new.id;
    end if;
    return new;
end
$$;
comment on function nura.tg_users__restore() is 'Trigger: a restored public.users row replaces the one the sync just made from its restored auth row.';
revoke all on function nura.tg_users__restore() from public;
