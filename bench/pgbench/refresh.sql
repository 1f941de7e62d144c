-- A refresh-token grant with Auth's default (legacy) tokens, for a random existing user: two
-- audit rows, the user's newest token revoked and a new one issued, last_sign_in_at written with
-- the value it already has (an UPDATE that changes only updated_at), the session refreshed.
\set n random(1, :seed_users)
SELECT b.id AS uid, r.id AS token_id, r.token AS parent, r.session_id, u.last_sign_in_at,
       md5(random()::text) AS refresh_token, gen_random_uuid() AS refreshed_audit_id, gen_random_uuid() AS revoked_audit_id,
       jsonb_build_object('actor_id', b.id, 'action', 'token_refreshed', 'log_type', 'token') AS refreshed_audit,
       jsonb_build_object('actor_id', b.id, 'action', 'token_revoked', 'log_type', 'token') AS revoked_audit,
       t + interval '1 us' AS t1, t + interval '2 us' AS t2, t + interval '3 us' AS t3, t + interval '4 us' AS t4,
       t + interval '5 us' AS t5, t + interval '6 us' AS t6
FROM public.bench_users b
JOIN users u ON u.id = b.id
CROSS JOIN LATERAL (SELECT id, token, session_id FROM refresh_tokens WHERE session_id = b.session_id AND NOT revoked
                    ORDER BY id DESC LIMIT 1) r
CROSS JOIN (SELECT clock_timestamp() AS t) AS auth_clock
WHERE b.n = :n \gset
BEGIN;
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :refreshed_audit_id, :refreshed_audit, :t1, '127.0.0.1');
INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address) VALUES ('00000000-0000-0000-0000-000000000000', :revoked_audit_id, :revoked_audit, :t2, '127.0.0.1');
UPDATE refresh_tokens SET revoked = true, updated_at = :t3 WHERE id = :token_id;
INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) VALUES ('00000000-0000-0000-0000-000000000000', :refresh_token, :uid, false, :t4, :t4, :parent, :session_id);
UPDATE "users" AS users SET "last_sign_in_at" = :last_sign_in_at, "updated_at" = :t5 WHERE users.id = :uid;
UPDATE sessions SET refreshed_at = :t6, user_agent = 'supabase-js', ip = '127.0.0.1', updated_at = :t6 WHERE id = :session_id;
COMMIT;
