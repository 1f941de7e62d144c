-- Legacy tables and dependent columns go back first: the views and foreign keys depend on
-- what the earlier rollbacks drop.
do $$
begin
    perform nura.legacy_repoint(format('%I.%I', table_schema, table_name)::regclass, column_name, true)
    from nura.legacy_repoints;
    perform nura.legacy_switch(array['chat_users', 'voice_users', 'custom_users'], true);
end
$$;
-- Functions that read what this drops; an earlier release's migrate re-creates its own.
drop function nura.legacy_switch(text[], boolean);
drop function nura.legacy_repoint(regclass, text, boolean);
drop function nura.legacy_verify(text);
drop function nura.legacy_prepare(integer);
drop function nura.legacy_import_batch(integer);
drop table nura.legacy_repoint_values;
drop table nura.legacy_repoints;
alter table nura.legacy_rows drop column row_digest;
create index legacy_rows_legacy_id_idx on nura.legacy_rows (legacy_id);
alter table nura.legacy_user_map drop column row_digest;
