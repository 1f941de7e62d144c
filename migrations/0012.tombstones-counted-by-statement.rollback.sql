-- The trigger as the release before this one defines it, but still leaving out what a deletion
-- of this release counts itself: these definitions stay until the older release's migrate
-- replaces them (the older release never says so, so for it this is its own trigger).
drop trigger if exists tg_users__count_update on public.users;
create trigger tg_users__count_update
    after update on public.users
    for each row
    when ((old.origin is distinct from new.origin or (old.deleted_at is null) <> (new.deleted_at is null))
          and current_setting('nura.tombstones_counted', true) is distinct from 'on')
    execute function nura.tg_users__count();
