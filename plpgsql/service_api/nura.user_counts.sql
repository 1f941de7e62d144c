-- How many users there are, by where they came from, live and deleted (tombstones).
create or replace view nura.user_counts as
select c.origin, c.live, c.deleted
from nura.counted_users() c;
comment on view nura.user_counts is 'Users by origin: live and deleted (tombstones).';
revoke all on nura.user_counts from public;
grant select on nura.user_counts to nura_service, service_role;
