-- A returning Google login of a random existing user, as Supabase Auth writes it: the provider's
-- claims (unchanged since the last login) merged over the stored metadata and written whole, the
-- app metadata rewritten unchanged, the identity updated, the audit row, the PKCE flow state
-- deleted, then the session.
\set n random(1, :seed_users)
SELECT b.id AS uid, u.raw_user_meta_data AS metadata, u.raw_app_meta_data AS app_metadata, i.identity_data AS claims,
       gen_random_uuid() AS flow_id, gen_random_uuid() AS audit_id, gen_random_uuid() AS session_id,
       gen_random_uuid() AS amr_id, md5(random()::text) AS refresh_token,
       jsonb_build_object('actor_id', b.id, 'action', 'login', 'log_type', 'account') AS audit,
       t + interval '1 us' AS t1, t + interval '2 us' AS t2, t + interval '3 us' AS t3, t + interval '4 us' AS t4,
       t + interval '5 us' AS t5, t + interval '6 us' AS t6, t + interval '7 us' AS t7, t + interval '8 us' AS t8,
       t + interval '9 us' AS t9, t + interval '10 us' AS t10
FROM public.bench_users b
JOIN users u ON u.id = b.id
JOIN identities i ON i.user_id = b.id AND i.provider = 'google'
CROSS JOIN (SELECT clock_timestamp() AS t) AS auth_clock
WHERE b.n = :n \gset
BEGIN;
UPDATE "users" AS users SET "raw_user_meta_data" = :metadata, "updated_at" = :t1 WHERE users.id = :uid;
UPDATE "users" AS users SET "raw_app_meta_data" = :app_metadata, "updated_at" = :t2 WHERE users.id = :uid;
UPDATE identities SET identity_data = :claims, last_sign_in_at = :t3, updated_at = :t3 WHERE user_id = :uid AND provider = 'google';
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :audit_id, :audit, :t4, '127.0.0.1');
DELETE FROM flow_state WHERE id = :flow_id;
INSERT INTO sessions (id, user_id, created_at, updated_at, factor_id, aal, not_after, refreshed_at, user_agent, ip, tag) VALUES (:session_id, :uid, :t5, :t5, NULL, 'aal1', NULL, NULL, 'supabase-js', '127.0.0.1', NULL);
INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) VALUES ('00000000-0000-0000-0000-000000000000', :refresh_token, :uid, false, :t6, :t6, NULL, :session_id);
UPDATE "users" AS users SET "last_sign_in_at" = :t7, "updated_at" = :t8 WHERE users.id = :uid;
INSERT INTO mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id) VALUES (:session_id, :t9, :t9, 'oauth', :amr_id) ON CONFLICT (session_id, authentication_method) DO UPDATE SET updated_at = excluded.updated_at;
COMMIT;
