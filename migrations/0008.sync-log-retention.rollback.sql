drop table nura.sync_log_removed;
