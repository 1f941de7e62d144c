-- An email signup with autoconfirm, as Supabase Auth writes it: the signup's transaction (the
-- user, its identity, the audit row, the confirmation, the one-time tokens cleared), then the
-- session's. Every value is bound, every timestamp a reading of Auth's clock, one per statement.
SELECT uid, uid || '@bench.example' AS email, gen_random_uuid() AS audit_id, gen_random_uuid() AS login_audit_id,
       gen_random_uuid() AS session_id, gen_random_uuid() AS amr_id, md5(random()::text) AS refresh_token,
       'authenticated' AS role, '' AS empty,
       '{"provider": "email", "providers": ["email"]}' AS app_metadata,
       jsonb_build_object('sub', uid, 'email', uid || '@bench.example', 'email_verified', false, 'phone_verified', false) AS claims,
       jsonb_build_object('full_name', 'Bench User', 'sub', uid, 'email', uid || '@bench.example', 'email_verified', false, 'phone_verified', false) AS metadata,
       jsonb_build_object('full_name', 'Bench User', 'sub', uid, 'email', uid || '@bench.example', 'email_verified', true, 'phone_verified', false) AS metadata_verified,
       jsonb_build_object('actor_id', uid, 'action', 'user_signedup', 'log_type', 'user') AS audit,
       jsonb_build_object('actor_id', uid, 'action', 'login', 'log_type', 'user') AS login_audit,
       t + interval '1 us' AS t1, t + interval '2 us' AS t2, t + interval '3 us' AS t3, t + interval '4 us' AS t4,
       t + interval '5 us' AS t5, t + interval '6 us' AS t6, t + interval '7 us' AS t7, t + interval '8 us' AS t8,
       t + interval '9 us' AS t9, t + interval '10 us' AS t10, t + interval '11 us' AS t11, t + interval '12 us' AS t12,
       t + interval '13 us' AS t13, t + interval '14 us' AS t14, t + interval '15 us' AS t15
FROM (SELECT gen_random_uuid() AS uid, clock_timestamp() AS t) AS auth_clock \gset
BEGIN;
INSERT INTO "users" ("aud", "banned_until", "confirmation_sent_at", "confirmation_token", "created_at", "deleted_at", "email", "email_change", "email_change_confirm_status", "email_change_sent_at", "email_change_token_current", "email_change_token_new", "email_confirmed_at", "encrypted_password", "id", "instance_id", "invited_at", "is_anonymous", "is_sso_user", "last_sign_in_at", "phone", "phone_change", "phone_change_sent_at", "phone_change_token", "phone_confirmed_at", "raw_app_meta_data", "raw_user_meta_data", "reauthentication_sent_at", "reauthentication_token", "recovery_sent_at", "recovery_token", "role", "updated_at") VALUES ('authenticated', NULL, NULL, '', :t1, NULL, :email, '', 0, NULL, '', '', NULL, '$2a$10$RZ6yzdhWHGqTn7XlZgXj0uQ9L1mhfkAhfG7vKkJwXwQJ0X7GSmDRa', :uid, '00000000-0000-0000-0000-000000000000', NULL, false, false, NULL, NULL, '', NULL, '', NULL, :app_metadata, '{"full_name": "Bench User"}', NULL, '', NULL, '', '', :t1);
UPDATE "users" AS users SET "role" = :role, "updated_at" = :t2 WHERE users.id = :uid;
INSERT INTO identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at) VALUES (:uid, :uid, :claims, 'email', :t3, :t3, :t3);
UPDATE "users" AS users SET "raw_user_meta_data" = :metadata, "updated_at" = :t4 WHERE users.id = :uid;
UPDATE "users" AS users SET "raw_app_meta_data" = :app_metadata, "updated_at" = :t5 WHERE users.id = :uid;
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :audit_id, :audit, :t6, '127.0.0.1');
UPDATE "users" AS users SET "confirmation_token" = :empty, "email_confirmed_at" = :t7, "updated_at" = :t8 WHERE users.id = :uid;
UPDATE "users" AS users SET "raw_user_meta_data" = :metadata_verified, "updated_at" = :t9 WHERE users.id = :uid;
DELETE FROM one_time_tokens WHERE user_id = :uid;
COMMIT;
BEGIN;
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :login_audit_id, :login_audit, :t10, '127.0.0.1');
INSERT INTO sessions (id, user_id, created_at, updated_at, factor_id, aal, not_after, refreshed_at, user_agent, ip, tag) VALUES (:session_id, :uid, :t11, :t11, NULL, 'aal1', NULL, NULL, 'supabase-js', '127.0.0.1', NULL);
INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) VALUES ('00000000-0000-0000-0000-000000000000', :refresh_token, :uid, false, :t12, :t12, NULL, :session_id);
UPDATE "users" AS users SET "last_sign_in_at" = :t13, "updated_at" = :t14 WHERE users.id = :uid;
INSERT INTO mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id) VALUES (:session_id, :t15, :t15, 'password', :amr_id) ON CONFLICT (session_id, authentication_method) DO UPDATE SET updated_at = excluded.updated_at;
COMMIT;
