-- depends: 0004.legacy-switch
-- A tombstone holds nothing of the person: besides the personal fields, their sign-in and
-- activity times, game counters and the auth image last applied go too. Tombstones made before
-- this, and their log rows, are erased here the same way (nura.tombstone_users does it since).
update public.users
   set email_confirmed_at = null, phone_confirmed_at = null, last_sign_in_at = null, last_active_at = null,
       xp = 0, current_streak = 0, auth_fields = null
 where deleted_at is not null
   and (email_confirmed_at is not null or phone_confirmed_at is not null or last_sign_in_at is not null
        or last_active_at is not null or xp <> 0 or current_streak <> 0 or auth_fields is not null);
delete from public.user_service_profiles p using public.users u where u.id = p.user_id and u.deleted_at is not null;
-- (nura.erased_log_image, written out: migrations run before plpgsql/ is applied)
update public.user_sync_logs l
   set before_data = case when jsonb_typeof(l.before_data) = 'object' then coalesce((
           select jsonb_object_agg(e.key, case when e.key in ('id', 'is_active', 'deleted_at', 'origin', 'legacy_rows')
                                               then e.value else 'null' end)
           from jsonb_each(l.before_data) e), '{}') else l.before_data end,
       after_data = case when jsonb_typeof(l.after_data) = 'object' then coalesce((
           select jsonb_object_agg(e.key, case when e.key in ('id', 'is_active', 'deleted_at', 'origin', 'legacy_rows')
                                               then e.value else 'null' end)
           from jsonb_each(l.after_data) e), '{}') else l.after_data end,
       request_id = null, session_id = null
  from public.users u
 where u.id = l.user_id and u.deleted_at is not null and l.sync_type <> 'delete';
delete from nura.legacy_rows r using public.users u where u.id = r.person_id and u.deleted_at is not null;

-- Not valid here: the check is added under a brief lock; 0006 validates it without blocking writes.
alter table public.users
    drop constraint users_tombstone_holds_nothing_personal,
    add constraint users_tombstone_holds_nothing_personal check (
        deleted_at is null or (
            not is_active and email is null and phone_number is null and full_name is null
            and display_name is null and bio is null and avatar_url is null and privacy_settings = '{}'
            and email_confirmed_at is null and phone_confirmed_at is null and last_sign_in_at is null
            and last_active_at is null and xp = 0 and current_streak = 0 and auth_fields is null
        )
    ) not valid;

-- deleting a user removes the rows an import under way staged for them
create index legacy_rows_person_id_idx on nura.legacy_rows (person_id);
