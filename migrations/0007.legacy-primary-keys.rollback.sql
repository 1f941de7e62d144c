alter table nura.legacy_rows drop column id;
alter table nura.legacy_conflicts drop column id;
