-- depends: 0011.legacy-email-index
-- The users' count trigger for UPDATEs gets a WHEN clause that leaves out the rows a deletion
-- counts itself (nura.tombstone_users, one row per statement): dropped here, it is installed anew
-- from plpgsql/ in this same transaction.
drop trigger if exists tg_users__count_update on public.users;
