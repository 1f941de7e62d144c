-- depends: 0002.webhook-order
-- The legacy move: which normalized user each row of chat_users,
-- voice_users and custom_users became, every legacy value that lost to another, and the import's
-- staging table, rebuilt by every run.
create table nura.legacy_user_map (
    legacy_table text not null check (legacy_table in ('chat_users', 'voice_users', 'custom_users')),
    legacy_id uuid not null,   -- the row's id (custom_users: its user_id)
    user_id uuid not null,
    primary key (legacy_table, legacy_id)
);
comment on table nura.legacy_user_map is 'Legacy row -> the public.users row it became.';
create index legacy_user_map_user_id_idx on nura.legacy_user_map (user_id);

create table nura.legacy_conflicts (
    user_id uuid not null,
    field text not null,        -- a users column, or chat.service_preferences / voice.service_metadata
    kept_value text,            -- null when nothing could be kept (the legacy value is not storable)
    kept_source text,           -- auth, users (already there), chat_users, voice_users or custom_users
    other_value text not null,
    other_source text not null
);
comment on table nura.legacy_conflicts is 'Every legacy value that lost to another, or that no column could store.';
create index legacy_conflicts_user_id_idx on nura.legacy_conflicts (user_id);

-- One row per legacy row, in one shape, with the person it belongs to. Unlogged: it is rebuilt
-- from the legacy tables by every import, so a crash loses nothing.
create unlogged table nura.legacy_rows (
    legacy_table text not null,
    legacy_id uuid not null,
    precedence integer not null,    -- chat 1, voice 2, custom 3 (auth is 0)
    row_data jsonb not null,        -- the whole row, password hash removed
    email text,                     -- normalized: trimmed, lower-cased, null if empty
    created_at timestamptz,
    person_id uuid,
    batch integer
);
create index legacy_rows_legacy_id_idx on nura.legacy_rows (legacy_id);
create index legacy_rows_batch_idx on nura.legacy_rows (batch);

grant select on nura.legacy_user_map, nura.legacy_conflicts to nura_service, service_role;
