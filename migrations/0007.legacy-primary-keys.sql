-- depends: 0006.legacy-adoption
-- Every table gets a primary key (Supabase's linter, lint 0004): neither a conflict nor a staged
-- legacy row has a natural one (custom_users may repeat a user_id, a person the same value).
alter table nura.legacy_conflicts add column id bigint generated always as identity primary key;
alter table nura.legacy_rows add column id bigint generated always as identity primary key;
