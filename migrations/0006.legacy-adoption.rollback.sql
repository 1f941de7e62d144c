drop table nura.legacy_adoptions_blocked;
