-- For `migrate`, once: erases what tombstones made by earlier releases still hold (sign-in and
-- activity times, counters, the applied auth image, log rows other than the deletion's, service
-- profiles), as nura.tombstone_users does now. Visits p_limit users after p_after by id, in one
-- short transaction, and returns the last id visited (null past the end), so the caller walks
-- the table batch by batch and a run cut short carries on.
create or replace function nura.erase_old_tombstones(p_after uuid, p_limit integer)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_last uuid;
    v_ids uuid[];
begin
    select (array_agg(b.id order by b.id desc))[1], array_agg(b.id) filter (where b.deleted_at is not null)
      into v_last, v_ids
      from (select u.id, u.deleted_at from public.users u
            where u.id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
            order by u.id limit p_limit) b;
    if cardinality(v_ids) > 0 then
        update public.users u
           set email_confirmed_at = null, phone_confirmed_at = null, last_sign_in_at = null, last_active_at = null,
               xp = 0, current_streak = 0, auth_fields = null, auth_updated_at = null
          from unnest(v_ids) as t(id)
         where u.id = t.id
           and (u.email_confirmed_at is not null or u.phone_confirmed_at is not null or u.last_sign_in_at is not null
                or u.last_active_at is not null or u.xp <> 0 or u.current_streak <> 0 or u.auth_fields is not null
                or u.auth_updated_at is not null);
        perform nura.erase_sync_logs(v_ids);
        delete from public.user_service_profiles p using unnest(v_ids) as t(id) where p.user_id = t.id;
        perform nura.legacy_forget(v_ids);
    end if;
    return v_last;
end
$$;
comment on function nura.erase_old_tombstones(uuid, integer) is 'Migrate: erases a batch of tombstones made by earlier releases.';
revoke all on function nura.erase_old_tombstones(uuid, integer) from public;
