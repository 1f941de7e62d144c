-- depends: 0001.nura-core
-- The auth row's updated_at last applied through nura.sync_from_auth: webhook deliveries arrive
-- out of order and are retried, and an older one must change nothing.
alter table public.users add column auth_updated_at timestamptz;
