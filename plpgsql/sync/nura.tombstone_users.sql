-- Deletes users the GDPR way, set-based: each row becomes a tombstone (deleted_at set, is_active
-- false, every other column but its id, origin and timestamps of its existence emptied; the
-- table's check refuses anything else), their service profiles go, and so do their earlier
-- sync-log rows (their values, and their times, which tell when the person signed in). The
-- deletion's own log row names the cleared fields, not their values. Already deleted users are
-- left alone.
create or replace function nura.tombstone_users(p_ids uuid[], p_source text)
returns integer
language plpgsql
set search_path = ''
-- Each user is found by key: costing a probe as a read from disk, the planner would hash every
-- user (and, erasing, the whole log) for a purge of thousands, a cost that grows with the table.
-- Tables it reads without joining the ids (= any) are left to the planner.
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
    v_victims uuid[];
    v_by_origin jsonb;
begin
    -- a snapshot taken before the locks below could not see what they waited for
    perform nura.require_read_committed('deleting users');
    -- The rows are locked in a statement of their own: the statements below then run on a
    -- snapshot taken after every lock was granted, so a write that committed while this one
    -- waited for the row (and its log row) is seen, and erased too.
    select array_agg(l.id order by l.id) into v_victims
    from (select u.id from public.users u
          join unnest(p_ids) as t(id) on t.id = u.id
          where u.deleted_at is null
          order by u.id
          for update of u) l;
    if coalesce(cardinality(v_victims), 0) < cardinality(p_ids) then
        -- someone who never got a row (their sync failed) leaves no log row either
        perform nura.erase_sync_logs(array(select t.id from unnest(p_ids) as t(id)
                                           where not exists (select from public.users u where u.id = t.id)));
    end if;
    if v_victims is null then
        return 0;
    end if;

    -- counted here, by origin, not row by row by the count's trigger (its WHEN clause reads this)
    perform set_config('nura.tombstones_counted', 'on', true);
    with old as (
        select u.* from public.users u join unnest(v_victims) as t(id) on t.id = u.id
    ), gone as (
        update public.users u
           set deleted_at = now(), is_active = false, email = null, phone_number = null,
               full_name = null, display_name = null, bio = null, avatar_url = null,
               privacy_settings = '{}', email_confirmed_at = null, phone_confirmed_at = null,
               last_sign_in_at = null, last_active_at = null, xp = 0, current_streak = 0,
               auth_fields = null, auth_updated_at = null, updated_at = now()
          from old v
         where u.id = v.id
        returning u.id, u.origin, v.is_active as was_active,
                  array_remove(array[
                      case when v.email is not null then 'email' end,
                      case when v.phone_number is not null then 'phone_number' end,
                      case when v.full_name is not null then 'full_name' end,
                      case when v.display_name is not null then 'display_name' end,
                      case when v.bio is not null then 'bio' end,
                      case when v.avatar_url is not null then 'avatar_url' end,
                      case when v.privacy_settings <> '{}' then 'privacy_settings' end,
                      case when v.email_confirmed_at is not null then 'email_confirmed_at' end,
                      case when v.phone_confirmed_at is not null then 'phone_confirmed_at' end,
                      case when v.last_sign_in_at is not null then 'last_sign_in_at' end,
                      case when v.last_active_at is not null then 'last_active_at' end,
                      case when v.xp <> 0 then 'xp' end,
                      case when v.current_streak <> 0 then 'current_streak' end], null) as cleared
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
        select g.id, 'delete', p_source,
               jsonb_build_object('deleted_at', null, 'is_active', g.was_active),
               jsonb_build_object('deleted_at', now(), 'is_active', false, 'cleared', to_jsonb(g.cleared)),
               true
        from gone g
    )
    select jsonb_object_agg(c.origin, c.users) into v_by_origin
    from (select g.origin, count(*) as users from gone g group by g.origin) c;
    perform set_config('nura.tombstones_counted', '', true);
    if to_regclass('nura.user_count_changes') is not null then  -- not rolled back past the count
        insert into nura.user_count_changes (origin, live, deleted)
        select o.key, -o.value::bigint, o.value::bigint from jsonb_each_text(v_by_origin) o;
    end if;

    perform nura.erase_sync_logs(v_victims);

    delete from public.user_service_profiles p where p.user_id = any (v_victims);  -- no join: see the header
    perform nura.legacy_forget(v_victims);
    return cardinality(v_victims);
end
$$;
comment on function nura.tombstone_users(uuid[], text) is 'Deletes users the GDPR way: tombstones, no service profiles, erased log values.';
revoke all on function nura.tombstone_users(uuid[], text) from public;
