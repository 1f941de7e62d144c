create or replace trigger tg_auth_users__sync_update
    after update on auth.users
    for each row
    when (old.email is distinct from new.email
          or old.phone is distinct from new.phone
          or old.raw_user_meta_data is distinct from new.raw_user_meta_data
          or old.email_confirmed_at is distinct from new.email_confirmed_at
          or old.phone_confirmed_at is distinct from new.phone_confirmed_at
          or old.last_sign_in_at is distinct from new.last_sign_in_at
          or old.deleted_at is distinct from new.deleted_at
          or old.created_at is distinct from new.created_at)
    execute function nura.tg_auth_users__sync_update();
