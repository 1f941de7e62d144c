-- Marks users deleted, set-based: deleted_at set, is_active false, personal values cleared in
-- public.users and in their earlier sync-log rows. The deletion's own log row names the cleared
-- fields, not their values. Already deleted users are left alone.
create or replace function nura.tombstone_users(p_ids uuid[], p_source text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_personal constant text[] := nura.personal_fields();
    v_count integer;
begin
    with victims as (
        select u.* from public.users u
        join unnest(p_ids) as t(id) on t.id = u.id  -- a join, not = any(): hashed for big purges
        where u.deleted_at is null
        order by u.id
        for update
    ), gone as (
        update public.users u
           set deleted_at = now(), is_active = false, email = null, phone_number = null,
               full_name = null, display_name = null, bio = null, avatar_url = null,
               privacy_settings = '{}', updated_at = now()
          from victims v
         where u.id = v.id
        returning u.id, v.is_active as was_active,
                  -- the fields of nura.personal_fields() that held something
                  array_remove(array[
                      case when v.email is not null then 'email' end,
                      case when v.phone_number is not null then 'phone_number' end,
                      case when v.full_name is not null then 'full_name' end,
                      case when v.display_name is not null then 'display_name' end,
                      case when v.bio is not null then 'bio' end,
                      case when v.avatar_url is not null then 'avatar_url' end,
                      case when v.privacy_settings <> '{}' then 'privacy_settings' end], null) as cleared
    ), logged as (
        insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
        select g.id, 'delete', p_source,
               jsonb_build_object('deleted_at', null, 'is_active', g.was_active),
               jsonb_build_object('deleted_at', now(), 'is_active', false, 'cleared', to_jsonb(g.cleared)),
               true
        from gone g
    ), erased as (
        update public.user_sync_logs l
           set before_data = nura.erase_personal(l.before_data, v_personal),
               after_data = nura.erase_personal(l.after_data, v_personal),
               -- an error message may quote a value: keep its SQLSTATE only
               error_message = left(l.error_message, 5) || case when l.success then null else ': erased' end
         where l.user_id in (select g.id from gone g)
           and (l.before_data ?| v_personal or l.after_data ?| v_personal
                or (l.error_message is not null and l.error_message not like '_____: erased'))
    )
    select count(*) into v_count from gone;
    -- the legacy values that lost are personal too (guarded: that table comes with migration 0003)
    if v_count > 0 and to_regclass('nura.legacy_conflicts') is not null then
        delete from nura.legacy_conflicts c where c.user_id = any (p_ids);
    end if;
    return v_count;
end
$$;
comment on function nura.tombstone_users(uuid[], text) is 'Deletes users the GDPR way: a tombstone row and erased log values.';
revoke all on function nura.tombstone_users(uuid[], text) from public;
