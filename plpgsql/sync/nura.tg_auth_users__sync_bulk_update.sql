-- AFTER UPDATE ON auth.users, once per statement: a statement updating many users (an admin
-- confirming thousands, a metadata migration, a soft delete of many) is synced here, at its end,
-- as the row-by-row sync would sync each row. Only its first row has a deferred event (the WHEN
-- clause of tg_auth_users__sync_update); the statement is marked so that event, finding its row
-- as this statement left it, returns at once. A single-row UPDATE, Auth's own, is left to that
-- event, which sees the whole transaction at commit. Rows the set-based statement does not
-- cover (no row of ours, a legacy person's or a deleted one, an anonymous account made permanent
-- or one brought back) are synced one by one here, each alone; if the set-based statement
-- fails, every changed row is, so one bad row fails alone.
create or replace function nura.tg_auth_users__sync_bulk_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_others bigint;      -- rows left to sync one by one
    v_deleted bigint;     -- rows deleted now (or still)
    v_confirming bigint;  -- rows whose address may have been confirmed now
    v_rewritten boolean;  -- a row written with every value as it was
    v_statement text;
    v_settings text[];  -- the caller's jit and work_mem
begin
    perform 'PRAGMA:TABLE: old_auth_users (like auth.users)';  -- the statement's transition tables, for plpgsql_check
    perform 'PRAGMA:TABLE: new_auth_users (like auth.users)';
    if (select count(*) from (select from new_auth_users limit 2) t) < 2 then
        return null;
    end if;
    -- Set here, not as the function's SET clauses, which every single-row UPDATE would pay for.
    -- No JIT: the transition tables' joins are estimated far too big, and compiling them cost
    -- more than running them. More memory: their rows are sorted and hashed whole.
    v_settings := array[current_setting('jit'), current_setting('work_mem')];
    perform set_config('jit', 'off', true), set_config('work_mem', '64MB', true);
    begin
        perform 'PRAGMA:DISABLE:CHECK';  -- the transition tables' rows are auth.users rows; the stand-in's are not
        -- One pass over the statement's rows: what each write changed of the fields Auth feeds (as
        -- nura.auth_user_fields maps them), written where ours differs, with one log row each, for
        -- the users whose row of ours Auth owns and who stay as they were (not deleted, not made
        -- permanent); and how many rows are left for the steps below.
        with pairs as materialized (
            select o.id, o.email as o_email, n.email, o.phone as o_phone, n.phone,
                   o.raw_user_meta_data as o_meta, n.raw_user_meta_data as meta,
                   o.email_confirmed_at as o_email_confirmed_at, n.email_confirmed_at,
                   o.phone_confirmed_at as o_phone_confirmed_at, n.phone_confirmed_at,
                   o.last_sign_in_at as o_last_sign_in_at, n.last_sign_in_at,
                   o.created_at as o_created_at, n.created_at,
                   n.deleted_at is not null as deleted,
                   o.deleted_at is null and n.deleted_at is null and o.is_anonymous is not distinct from n.is_anonymous as plain,
                   o is not distinct from n as rewritten
            from old_auth_users o join new_auth_users n on n.id = o.id
        ), changes as (
            select c.* from (
                select p.id,
                       p.o_email is distinct from p.email as email_changed, p.email,
                       f.phone_changed, case when f.phone_changed then f.phone_number end as phone_number,
                       f.name_changed, case when f.name_changed then f.full_name end as full_name,
                       f.avatar_changed, case when f.avatar_changed then f.avatar_url end as avatar_url,
                       p.o_email_confirmed_at is distinct from p.email_confirmed_at as email_confirmed_changed, p.email_confirmed_at,
                       p.o_phone_confirmed_at is distinct from p.phone_confirmed_at as phone_confirmed_changed, p.phone_confirmed_at,
                       p.o_last_sign_in_at is distinct from p.last_sign_in_at as sign_in_changed, p.last_sign_in_at,
                       p.created_at is not null and p.o_created_at is distinct from p.created_at as created_changed, p.created_at
                from pairs p
                -- each field's raw values compared first, and mapped only where they differ, once a
                -- side: the offset 0s keep each level from being pulled up into the one above, where
                -- every use of a column maps it again (seven calls of nura.metadata_text per renamed
                -- user instead of two)
                cross join lateral (select r.*,
                        r.phone_touched and nura.e164(p.o_phone) is distinct from r.phone_number as phone_changed,
                        r.name_touched and nura.metadata_text(p.o_meta, '{full_name,name}', 200) is distinct from r.full_name as name_changed,
                        r.avatar_touched and nura.metadata_url(p.o_meta, '{avatar_url,picture}') is distinct from r.avatar_url as avatar_changed
                    from (select t.*,
                            case when t.phone_touched then nura.e164(p.phone) end as phone_number,
                            case when t.name_touched then nura.metadata_text(p.meta, '{full_name,name}', 200) end as full_name,
                            case when t.avatar_touched then nura.metadata_url(p.meta, '{avatar_url,picture}') end as avatar_url
                        from (select p.o_phone is distinct from p.phone as phone_touched,
                                     p.o_meta -> 'full_name' is distinct from p.meta -> 'full_name'
                                         or p.o_meta -> 'name' is distinct from p.meta -> 'name' as name_touched,
                                     p.o_meta -> 'avatar_url' is distinct from p.meta -> 'avatar_url'
                                         or p.o_meta -> 'picture' is distinct from p.meta -> 'picture' as avatar_touched
                              offset 0) t
                        offset 0) r
                    offset 0) f
                where p.plain
            ) c
            where c.email_changed or c.phone_changed or c.name_changed or c.avatar_changed or c.email_confirmed_changed
               or c.phone_confirmed_changed or c.sign_in_changed or c.created_changed
        ), differing as (  -- of those ours holds, the fields where ours differs from what Auth holds now, and ours before
            select c.*,
                   c.email_changed and c.email is distinct from u.email as w_email, u.email as was_email,
                   c.phone_changed and c.phone_number is distinct from u.phone_number as w_phone_number, u.phone_number as was_phone_number,
                   c.name_changed and c.full_name is distinct from u.full_name as w_full_name, u.full_name as was_full_name,
                   c.avatar_changed and c.avatar_url is distinct from u.avatar_url as w_avatar_url, u.avatar_url as was_avatar_url,
                   c.email_confirmed_changed and c.email_confirmed_at is distinct from u.email_confirmed_at as w_email_confirmed_at, u.email_confirmed_at as was_email_confirmed_at,
                   c.phone_confirmed_changed and c.phone_confirmed_at is distinct from u.phone_confirmed_at as w_phone_confirmed_at, u.phone_confirmed_at as was_phone_confirmed_at,
                   c.sign_in_changed and c.last_sign_in_at is distinct from u.last_sign_in_at as w_last_sign_in_at, u.last_sign_in_at as was_last_sign_in_at,
                   c.created_changed and c.created_at is distinct from u.created_at as w_created_at, u.created_at as was_created_at
            from changes c
            join public.users u on u.id = c.id
            -- read by key, never the whole table: the join's estimates over the transition tables are wild
            where u.id = any(array(select c.id from changes c))
              and u.origin = 'supabase_auth' and u.deleted_at is null
        ), updated as (
            -- each field this write changed, and only those: a profile edit committed since the
            -- statement began (its row lock waited for) keeps the fields it wrote
            update public.users u
               set email = case when d.w_email then d.email else u.email end,
                   phone_number = case when d.w_phone_number then d.phone_number else u.phone_number end,
                   full_name = case when d.w_full_name then d.full_name else u.full_name end,
                   avatar_url = case when d.w_avatar_url then d.avatar_url else u.avatar_url end,
                   email_confirmed_at = case when d.w_email_confirmed_at then d.email_confirmed_at else u.email_confirmed_at end,
                   phone_confirmed_at = case when d.w_phone_confirmed_at then d.phone_confirmed_at else u.phone_confirmed_at end,
                   last_sign_in_at = case when d.w_last_sign_in_at then d.last_sign_in_at else u.last_sign_in_at end,
                   created_at = case when d.w_created_at then d.created_at else u.created_at end,
                   updated_at = now()
              from differing d
             where u.id = d.id and u.deleted_at is null
               and (d.w_email or d.w_phone_number or d.w_full_name or d.w_avatar_url or d.w_email_confirmed_at
                    or d.w_phone_confirmed_at or d.w_last_sign_in_at or d.w_created_at)
            returning d.*
        ), logged as (
            insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
            select d.id, 'update', 'supabase_auth',
                   case when d.w_email then jsonb_build_object('email', d.was_email) else '{}' end
                   || case when d.w_phone_number then jsonb_build_object('phone_number', d.was_phone_number) else '{}' end
                   || case when d.w_full_name then jsonb_build_object('full_name', d.was_full_name) else '{}' end
                   || case when d.w_avatar_url then jsonb_build_object('avatar_url', d.was_avatar_url) else '{}' end
                   || case when d.w_email_confirmed_at then jsonb_build_object('email_confirmed_at', d.was_email_confirmed_at) else '{}' end
                   || case when d.w_phone_confirmed_at then jsonb_build_object('phone_confirmed_at', d.was_phone_confirmed_at) else '{}' end
                   || case when d.w_last_sign_in_at then jsonb_build_object('last_sign_in_at', d.was_last_sign_in_at) else '{}' end
                   || case when d.w_created_at then jsonb_build_object('created_at', d.was_created_at) else '{}' end,
                   case when d.w_email then jsonb_build_object('email', d.email) else '{}' end
                   || case when d.w_phone_number then jsonb_build_object('phone_number', d.phone_number) else '{}' end
                   || case when d.w_full_name then jsonb_build_object('full_name', d.full_name) else '{}' end
                   || case when d.w_avatar_url then jsonb_build_object('avatar_url', d.avatar_url) else '{}' end
                   || case when d.w_email_confirmed_at then jsonb_build_object('email_confirmed_at', d.email_confirmed_at) else '{}' end
                   || case when d.w_phone_confirmed_at then jsonb_build_object('phone_confirmed_at', d.phone_confirmed_at) else '{}' end
                   || case when d.w_last_sign_in_at then jsonb_build_object('last_sign_in_at', d.last_sign_in_at) else '{}' end
                   || case when d.w_created_at then jsonb_build_object('created_at', d.created_at) else '{}' end,
                   true
            from updated d
        )
        select (select count(*) from pairs p where not p.plain and not p.deleted)
                   + (select count(*) from changes) - (select count(*) from differing),
               (select count(*) from pairs p where p.deleted),
               (select count(*) from changes c where c.email_confirmed_changed or c.email_changed),
               (select bool_or(p.rewritten) from pairs p)
          into v_others, v_deleted, v_confirming, v_rewritten;

        -- the accounts whose write confirmed an address may adopt a legacy person, if there are any
        if v_confirming > 0 and to_regclass('nura.legacy_user_map') is not null
           and exists (select from nura.legacy_user_map) then
            perform nura.legacy_adopt(a.accounts, 'supabase_auth')  -- a thousand at a time
            from (
                select array_agg(c.n) as accounts from (
                    select n, (row_number() over ()) / 1000 as chunk
                    from old_auth_users o join new_auth_users n on n.id = o.id
                    where o.deleted_at is null and n.deleted_at is null
                      and o.is_anonymous is not distinct from n.is_anonymous and nura.legacy_adopts_on(o, n)
                      and exists (select from public.users u where u.id = n.id and u.origin = 'supabase_auth' and u.deleted_at is null)
                ) c group by c.chunk
            ) a;
        end if;

        if v_deleted > 0 then  -- tombstoned, set-based (those deleted before are left alone)
            perform nura.tombstone_users(array(select n.id from new_auth_users n where n.deleted_at is not null), 'supabase_auth');
        end if;

        if v_others > 0 then
            perform nura.sync_auth_user(o, n, 'supabase_auth')
            from old_auth_users o join new_auth_users n on n.id = o.id
            where n.deleted_at is null
              and case when o.deleted_at is not null or o.is_anonymous is distinct from n.is_anonymous then true
                       when exists (select from public.users u
                                    where u.id = n.id and u.origin = 'supabase_auth' and u.deleted_at is null) then false
                       else nura.auth_user_fields(o) is distinct from nura.auth_user_fields(n) end;  -- in this order
        end if;
        perform 'PRAGMA:ENABLE:CHECK';
    exception when others then
        if nura.is_server_failure(sqlstate) then
            raise;
        end if;
        perform 'PRAGMA:DISABLE:CHECK';
        perform nura.sync_auth_user(o, n, 'supabase_auth')
        from old_auth_users o join new_auth_users n on n.id = o.id
        where o.deleted_at is distinct from n.deleted_at or o.is_anonymous is distinct from n.is_anonymous
           or nura.auth_user_fields(o) is distinct from nura.auth_user_fields(n);
        v_rewritten := (select bool_or(o is not distinct from n) from old_auth_users o join new_auth_users n on n.id = o.id);
        perform 'PRAGMA:ENABLE:CHECK';
    end;
    perform set_config('jit', v_settings[1], true), set_config('work_mem', v_settings[2], true);
    if v_rewritten then
        -- A row this statement rewrote with every value as it was would make a change an earlier
        -- statement of this transaction made to it look synced: its events sync it all.
        return null;
    end if;
    -- the command this statement ran as, which the rows it wrote carry (cmin) until a later
    -- statement writes them again: their events return at once (nura.tg_auth_users__sync)
    v_statement := (select a.cmin::text from auth.users a where a.id = (select n.id from new_auth_users n limit 1));
    perform set_config('nura.bulk_updated_by',
        coalesce(nullif(current_setting('nura.bulk_updated_by', true), ''), ',') || v_statement || ',', true);
    return null;
end
$$;
comment on function nura.tg_auth_users__sync_bulk_update() is 'Trigger: syncs a multi-row UPDATE of auth.users set-based.';
revoke all on function nura.tg_auth_users__sync_bulk_update() from public;
