-- Users by origin, live and deleted, for nura.user_counts: the sum of the changes public.users'
-- triggers append (folded now and then by nura.check_changes), so no reader counts every user.
-- Its readers run it, so it is granted to them and reads the table as its owner. Guarded: after
-- a rollback past the count's migration it counts public.users.
create or replace function nura.counted_users()
returns table (origin text, live bigint, deleted bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if to_regclass('nura.user_count_changes') is null then
        return query
            select u.origin, count(*) filter (where u.deleted_at is null), count(*) filter (where u.deleted_at is not null)
            from public.users u group by u.origin;
        return;
    end if;
    return query
        select c.origin, sum(c.live)::bigint, sum(c.deleted)::bigint
        from nura.user_count_changes c
        group by c.origin
        having sum(c.live) <> 0 or sum(c.deleted) <> 0;
end
$$;
comment on function nura.counted_users() is 'Users by origin, live and deleted, from their counted changes.';
revoke all on function nura.counted_users() from public;
grant execute on function nura.counted_users() to nura_service, service_role;
