-- The old stress flow: an INSERT and five UPDATEs of auth.users alone in one transaction, with
-- the transaction's now() for every timestamp (not how Auth writes; kept to compare with the past).
SELECT gen_random_uuid() AS uid \gset
BEGIN;
INSERT INTO users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at, confirmation_token, confirmation_sent_at, recovery_token, recovery_sent_at, email_change_token_new, email_change, email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at, phone, phone_confirmed_at, phone_change, phone_change_token, phone_change_sent_at, email_change_token_current, email_change_confirm_status, banned_until, reauthentication_token, reauthentication_sent_at, is_sso_user, deleted_at, is_anonymous) VALUES ('00000000-0000-0000-0000-000000000000', :uid, 'authenticated', '', :uid || '@bench.example', '$2a$10$0123456789012345678901234567890123456789012345678901', NULL, NULL, '', NULL, '', NULL, '', '', NULL, NULL, '{"provider": "email", "providers": ["email"]}', '{"full_name": "Bench User"}', NULL, now(), now(), NULL, NULL, '', '', NULL, '', 0, NULL, '', NULL, false, NULL, false);
UPDATE users SET role = 'authenticated', updated_at = now() WHERE id = :uid;
UPDATE users SET raw_user_meta_data = raw_user_meta_data || '{"email_verified": false, "phone_verified": false}' || jsonb_build_object('sub', id::text, 'email', email), updated_at = now() WHERE id = :uid;
UPDATE users SET raw_app_meta_data = '{"provider": "email", "providers": ["email"]}', updated_at = now() WHERE id = :uid;
UPDATE users SET confirmation_token = '', email_confirmed_at = now(), updated_at = now() WHERE id = :uid;
UPDATE users SET last_sign_in_at = now(), updated_at = now() WHERE id = :uid;
COMMIT;
