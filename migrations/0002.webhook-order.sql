-- depends: 0001.nura-core
-- For nura.sync_from_auth (the webhook path): the auth image last applied to a user, as the
-- fields it feeds (never a password hash or token), and its updated_at. Deliveries arrive out of
-- order and are retried: each is diffed against what was applied, and an older one changes nothing.
alter table public.users
    add column auth_updated_at timestamptz,
    add column auth_fields jsonb check (jsonb_typeof(auth_fields) = 'object');
