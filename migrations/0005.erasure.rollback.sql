drop index nura.legacy_rows_person_id_idx;
alter table public.users
    drop constraint users_tombstone_holds_nothing_personal,
    add constraint users_tombstone_holds_nothing_personal check (
        deleted_at is null or (
            not is_active and email is null and phone_number is null and full_name is null
            and display_name is null and bio is null and avatar_url is null
            and privacy_settings = '{}'
        )
    ) not valid;
