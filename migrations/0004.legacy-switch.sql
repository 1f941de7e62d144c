-- depends: 0003.legacy-import
-- `legacy repoint`: which dependent columns were rewritten from legacy ids to user ids, the
-- foreign key each had, and every row's legacy id, so `--back` puts each row's own id back.
-- (Which legacy tables are switched needs no table: the catalog says it.)
create table nura.legacy_repoints (
    table_schema text not null,
    table_name text not null,
    column_name text not null,
    legacy_table text not null,          -- chat_users or voice_users: whose ids the column held
    legacy_column text not null,         -- the column its foreign key referenced
    constraint_name text not null,
    on_update "char" not null,           -- the foreign key's actions, as pg_constraint spells them
    on_delete "char" not null,
    is_deferrable boolean not null,
    is_deferred boolean not null,
    rows_rewritten bigint not null,
    repointed_at timestamptz not null default now(),
    primary key (table_schema, table_name, column_name)
);
comment on table nura.legacy_repoints is 'Dependent columns moved from legacy ids to user ids by `nura-users legacy repoint`.';

create table nura.legacy_repoint_values (
    table_schema text not null,
    table_name text not null,
    column_name text not null,
    row_key jsonb not null,              -- the row's primary key values but the column's, as a JSON array
    legacy_id uuid not null,
    primary key (table_schema, table_name, column_name, row_key, legacy_id),
    foreign key (table_schema, table_name, column_name) references nura.legacy_repoints on delete cascade
);
comment on table nura.legacy_repoint_values is 'The legacy id each repointed row held, for `legacy repoint --back`.';

grant select on nura.legacy_repoints to nura_service, service_role;

-- A digest of each legacy row as imported, so a later run imports again the rows that changed.
alter table nura.legacy_user_map add column row_digest text;
alter table nura.legacy_rows add column row_digest text;
drop index nura.legacy_rows_legacy_id_idx;  -- nothing looks rows up by id any more

-- legacy_verify takes the table to check now (plpgsql/ defines it); the old one would make calls ambiguous
drop function if exists nura.legacy_verify();
