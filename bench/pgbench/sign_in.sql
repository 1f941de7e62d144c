-- A password sign-in: Auth's one UPDATE of last_sign_in_at, for a random existing user.
\set n random(1, 10000)
UPDATE users SET last_sign_in_at = now(), updated_at = now() WHERE id = (SELECT id FROM public.bench_users WHERE n = :n);
