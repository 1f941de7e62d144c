-- Keeps the count of users (nura.user_counts) as appended changes: one row per origin for a
-- statement inserting or deleting users, one per user whose origin or deletion state changed;
-- a TRUNCATE starts the count again at nothing.
create or replace function nura.tg_users__count()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_sign constant integer := case when tg_op = 'DELETE' then -1 else 1 end;
begin
    if tg_op = 'UPDATE' then
        insert into nura.user_count_changes (origin, live, deleted)
        values (old.origin, -(old.deleted_at is null)::int, -(old.deleted_at is not null)::int),
               (new.origin, (new.deleted_at is null)::int, (new.deleted_at is not null)::int);
    elsif tg_op = 'TRUNCATE' then
        delete from nura.user_count_changes;
    else  -- INSERT adds the statement's rows, DELETE takes them away
        perform 'PRAGMA:TABLE: counted (like public.users)';  -- the statement's transition table, for plpgsql_check
        insert into nura.user_count_changes (origin, live, deleted)
        select c.origin, v_sign * count(*) filter (where c.deleted_at is null),
               v_sign * count(*) filter (where c.deleted_at is not null)
        from counted c group by c.origin;
    end if;
    return null;
end
$$;
comment on function nura.tg_users__count() is 'Trigger: appends the change to the count of users by origin.';
revoke all on function nura.tg_users__count() from public;
