-- An account adopts a legacy person (one without an account, whose address it has confirmed):
-- - the account has no row yet (a signup): the person's row takes the account's id; rows of
--   other tables follow by their foreign keys' ON UPDATE CASCADE, and the sync then fills from
--   Auth only what the person lacks. Returns 'renamed'.
-- - the account has a row of its own (it confirmed later, changed its address, was anonymous, or
--   its adoption was blocked before): the two rows are merged into the account's. The account's
--   own values win; the person's fill what it lacks, the others go to nura.legacy_conflicts;
--   service profiles merge likewise; rows of other tables referencing the person move to the
--   account where their key cascades. Returns 'merged'.
-- A foreign key that does not cascade on update and holds rows of the person (or any error of
-- the move) blocks the adoption: nothing moves, nura.legacy_adoptions_blocked says why, the
-- first time is logged, and 'blocked' is returned. Locks the person, then the account.
create or replace function nura.legacy_adopt_person(p_person uuid, p_account uuid, p_source text)
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_person public.users;
    v_account public.users;
    v_blocker text;
    v_sqlstate text := '23503';  -- a foreign key that does not cascade, unless another error
    v_fill jsonb;
    v_profile record;
    v_key record;
begin
    select * into v_person from public.users u where u.id = p_person for update;
    if v_person.origin is distinct from 'legacy_migration' or v_person.deleted_at is not null then
        return null;  -- adopted or deleted meanwhile
    end if;
    select * into v_account from public.users u where u.id = p_account for update;
    if v_account.deleted_at is not null then
        return null;  -- a deleted account adopts no one
    end if;

    begin
        select format('%s on %s (it does not cascade on update)', k.constraint_name, k.referencing) into v_blocker
        from nura.legacy_foreign_keys(p_person) k where not k.cascades and k.referenced limit 1;
        if v_blocker is null and v_account.id is null then
            update public.users u set id = p_account where u.id = p_person;  -- other tables follow by cascade
            perform nura.legacy_reassign(p_person, p_account);
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            values (p_account, 'legacy_import', p_source, jsonb_build_object('id', p_person),
                    jsonb_build_object('id', p_account), true);
            delete from nura.legacy_adoptions_blocked b where b.account_id = p_account;
            return 'renamed';
        elsif v_blocker is null then
            for v_key in select * from nura.legacy_foreign_keys(null) k where k.cascades loop
                execute format('update %s set %I = $1 where %2$I = $2', v_key.referencing, v_key.column_name)
                    using p_account, p_person;
            end loop;

            for v_profile in
                select p.*, a.id as into_id, a.service_preferences as into_preferences,
                       a.service_metadata as into_metadata
                from public.user_service_profiles p
                left join public.user_service_profiles a on a.user_id = p_account and a.service_type = p.service_type
                where p.user_id = p_person
            loop
                if v_profile.into_id is null then
                    update public.user_service_profiles s set user_id = p_account where s.id = v_profile.id;
                    continue;
                end if;
                insert into nura.legacy_conflicts (user_id, field, kept_value, kept_source, other_value, other_source)
                select p_account, v_profile.service_type || x.field, jsonb_build_object(e.key, x.kept -> e.key)::text,
                       'users', jsonb_build_object(e.key, e.value)::text, 'legacy_migration'
                from (values ('.service_preferences', v_profile.into_preferences, v_profile.service_preferences),
                             ('.service_metadata', v_profile.into_metadata, v_profile.service_metadata)) x(field, kept, other)
                cross join lateral jsonb_each(x.other) e
                where x.kept ? e.key and x.kept -> e.key <> e.value;
                update public.user_service_profiles s
                   set service_preferences = v_profile.service_preferences || s.service_preferences,
                       service_metadata = v_profile.service_metadata || s.service_metadata,
                       usage_stats = v_profile.usage_stats || s.usage_stats,
                       onboarding_completed = s.onboarding_completed or v_profile.onboarding_completed,
                       last_used_at = greatest(s.last_used_at, v_profile.last_used_at), updated_at = now()
                 where s.id = v_profile.into_id;
                delete from public.user_service_profiles s where s.id = v_profile.id;
            end loop;

            -- per field: the account's value if it has one, else the person's; a person's value
            -- that lost is kept as a conflict
            with fields as (
                select e.key, a.value as kept, e.value as other,
                       a.value in ('null', '0', '{}') as empty, e.value in ('null', '0', '{}') as other_empty
                from jsonb_each(to_jsonb(v_person)) e
                join jsonb_each(to_jsonb(v_account)) a using (key)
                where e.key in ('full_name', 'display_name', 'bio', 'avatar_url', 'phone_number',
                                'privacy_settings', 'xp', 'current_streak', 'is_active')  -- never empty: the account's stands
            ), lost as (
                insert into nura.legacy_conflicts (user_id, field, kept_value, kept_source, other_value, other_source)
                select p_account, f.key, f.kept #>> '{}', 'users', f.other #>> '{}', 'legacy_migration'
                from fields f where not f.empty and not f.other_empty and f.kept <> f.other
            )
            select coalesce(jsonb_object_agg(f.key, f.other) filter (where f.empty and not f.other_empty), '{}')
            into v_fill from fields f;
            update public.users u
               set full_name = r.full_name, display_name = r.display_name, bio = r.bio, avatar_url = r.avatar_url,
                   phone_number = r.phone_number, privacy_settings = r.privacy_settings, xp = r.xp,
                   current_streak = r.current_streak, created_at = least(u.created_at, v_person.created_at),
                   updated_at = now()
              from jsonb_populate_record(v_account, v_fill) r
             where u.id = p_account;
            perform nura.legacy_reassign(p_person, p_account);
            delete from public.users u where u.id = p_person;
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            values (p_account, 'legacy_import', p_source, coalesce(nura.pick(to_jsonb(v_account), v_fill), '{}'),
                    v_fill || jsonb_build_object('merged_legacy_person', p_person), true);
            delete from nura.legacy_adoptions_blocked b where b.account_id = p_account;
            return 'merged';
        end if;
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;
        v_sqlstate := sqlstate;
        v_blocker := sqlerrm;
    end;

    perform nura.legacy_block_adoption(p_account, p_person, v_sqlstate, v_blocker);
    return 'blocked';
end
$$;
comment on function nura.legacy_adopt_person(uuid, uuid, text) is 'Legacy import: an account adopts a legacy person (their row, or a merge of two).';
revoke all on function nura.legacy_adopt_person(uuid, uuid, text) from public;
