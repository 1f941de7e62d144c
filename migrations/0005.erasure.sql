-- depends: 0004.legacy-switch
-- A tombstone holds nothing of the person: besides the personal fields, their sign-in and
-- activity times, game counters, the auth image last applied and its timestamp go too.
-- Not valid: added under a brief lock, it holds for every row written from now on; `migrate`
-- then erases tombstones made by earlier releases in batches (nura.erase_old_tombstones) and
-- validates it, without blocking writes.
alter table public.users
    drop constraint users_tombstone_holds_nothing_personal,
    add constraint users_tombstone_holds_nothing_personal check (
        deleted_at is null or (
            not is_active and email is null and phone_number is null and full_name is null
            and display_name is null and bio is null and avatar_url is null and privacy_settings = '{}'
            and email_confirmed_at is null and phone_confirmed_at is null and last_sign_in_at is null
            and last_active_at is null and xp = 0 and current_streak = 0 and auth_fields is null
            and auth_updated_at is null
        )
    ) not valid;

-- deleting a user removes the rows an import under way staged for them
create index legacy_rows_person_id_idx on nura.legacy_rows (person_id);
