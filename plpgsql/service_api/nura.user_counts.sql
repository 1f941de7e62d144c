-- How many users there are, by where they came from, live and deleted (tombstones).
create or replace view nura.user_counts as
select origin,
       count(*) filter (where deleted_at is null) as live,
       count(*) filter (where deleted_at is not null) as deleted
from public.users
group by origin;
comment on view nura.user_counts is 'Users by origin: live and deleted (tombstones).';
revoke all on nura.user_counts from public;
grant select on nura.user_counts to nura_service, service_role;
