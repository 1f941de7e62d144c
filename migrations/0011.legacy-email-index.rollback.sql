-- transactional: false
drop index concurrently if exists public.users_legacy_email_idx;
