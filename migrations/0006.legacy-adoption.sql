-- depends: 0005.erasure
-- Adoptions of a legacy person by an account that a foreign key to public.users (id) without ON
-- UPDATE CASCADE holds up: the account has its own row meanwhile; check_consistency() reports
-- adoption_blocked, and reconcile completes the adoption once the key cascades.
create table nura.legacy_adoptions_blocked (
    account_id uuid primary key,
    person_id uuid not null,
    blocked_by text not null,           -- the foreign key (or the error) that holds it up
    blocked_at timestamptz not null default now()
);
comment on table nura.legacy_adoptions_blocked is 'Legacy people whose adoption by an account waits on a foreign key that does not cascade.';
grant select on nura.legacy_adoptions_blocked to nura_service, service_role;
