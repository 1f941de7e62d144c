-- A password sign-in of a random existing user, as Supabase Auth writes it: the audit row, then
-- the session (its refresh token, last_sign_in_at on the user, the AMR claim).
\set n random(1, :seed_users)
SELECT b.id AS uid, gen_random_uuid() AS audit_id, gen_random_uuid() AS session_id, gen_random_uuid() AS amr_id,
       md5(random()::text) AS refresh_token,
       jsonb_build_object('actor_id', b.id, 'action', 'login', 'log_type', 'user') AS audit,
       t + interval '1 us' AS t1, t + interval '2 us' AS t2, t + interval '3 us' AS t3, t + interval '4 us' AS t4,
       t + interval '5 us' AS t5, t + interval '6 us' AS t6
FROM public.bench_users b, (SELECT clock_timestamp() AS t) AS auth_clock WHERE b.n = :n \gset
BEGIN;
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :audit_id, :audit, :t1, '127.0.0.1');
INSERT INTO sessions (id, user_id, created_at, updated_at, factor_id, aal, not_after, refreshed_at, user_agent, ip, tag) VALUES (:session_id, :uid, :t2, :t2, NULL, 'aal1', NULL, NULL, 'supabase-js', '127.0.0.1', NULL);
INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) VALUES ('00000000-0000-0000-0000-000000000000', :refresh_token, :uid, false, :t3, :t3, NULL, :session_id);
UPDATE "users" AS users SET "last_sign_in_at" = :t4, "updated_at" = :t5 WHERE users.id = :uid;
INSERT INTO mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id) VALUES (:session_id, :t6, :t6, 'password', :amr_id) ON CONFLICT (session_id, authentication_method) DO UPDATE SET updated_at = excluded.updated_at;
COMMIT;
