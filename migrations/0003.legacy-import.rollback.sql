drop table nura.legacy_rows;
drop table nura.legacy_conflicts;
drop table nura.legacy_user_map;
