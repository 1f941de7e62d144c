-- BEFORE INSERT on public.users, for rows that carry their own updated_at (a restore or a copy
-- from another database; the sync's, the API's and the import's rows never do): when the row's
-- id is a user the sync made from auth.users, a backup is being restored with our triggers on,
-- so that the restored auth.users rows made their users first. Fails loudly, naming the
-- procedure that works, rather than with a bare duplicate key that is easy to read past while
-- the restore goes on without every profile field and most of the log.
create or replace function nura.tg_users__restore()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if exists (select from public.users u where u.id = new.id and u.origin = 'supabase_auth') then
        perform nura.raise_error('23505',
            format('nura-users: public.users %s was made by the sync from its auth.users row, restored before it', new.id),
            'a data-only restore with our triggers on has every auth.users row make its user first, so the backed-up rows of public cannot go in',
            'restore the data with triggers off (SET session_replication_role = replica, or pg_restore --disable-triggers), then run nura-users migrate');
    end if;
    return new;
end
$$;
comment on function nura.tg_users__restore() is 'Trigger: a restore with our triggers on fails loudly, naming the procedure that works.';
revoke all on function nura.tg_users__restore() from public;
