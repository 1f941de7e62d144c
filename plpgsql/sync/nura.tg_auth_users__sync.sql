-- Deferred to commit, once per INSERT or UPDATE event on auth.users: syncs the user's auth row
-- as it stands at commit. Auth changes a user with an INSERT and several UPDATEs in one
-- transaction; the first event syncs what the whole transaction changed (its OLD is the row
-- before the transaction's first change to a mirrored column) and the user's later events find
-- the same row version already synced and return at once. So a signup costs one sync.
-- Security definer: Auth runs it as supabase_auth_admin, which may not write public.users.
create or replace function nura.tg_auth_users__sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_bulk_logs_after bigint;
    v_auth auth.users;
    v_version text;
    v_unchanged boolean;  -- no mirrored column changed but (perhaps) last_sign_in_at
    v_synced_in_bulk boolean;
begin
    if tg_op = 'UPDATE' then
        -- The filter runs for every UPDATE Auth makes, outside the sync's isolation, so it must
        -- not be able to fail Auth's write: when Auth's own migrations change a column's type,
        -- this connection's cached plan of it no longer matches (42804). Then the plans are
        -- dropped, so the next call plans afresh, and this write is synced, isolated as usual.
        begin
            -- the auth.users columns nura.auth_user_fields reads (of user metadata: only its keys),
            -- and is_anonymous, whose flip can make an account adopt a legacy person
            v_unchanged := old.email is not distinct from new.email
                and old.phone is not distinct from new.phone
                and old.email_confirmed_at is not distinct from new.email_confirmed_at
                and old.phone_confirmed_at is not distinct from new.phone_confirmed_at
                and old.deleted_at is not distinct from new.deleted_at
                and old.created_at is not distinct from new.created_at
                and old.is_anonymous is not distinct from new.is_anonymous
                and old.raw_user_meta_data -> 'full_name' is not distinct from new.raw_user_meta_data -> 'full_name'
                and old.raw_user_meta_data -> 'name' is not distinct from new.raw_user_meta_data -> 'name'
                and old.raw_user_meta_data -> 'avatar_url' is not distinct from new.raw_user_meta_data -> 'avatar_url'
                and old.raw_user_meta_data -> 'picture' is not distinct from new.raw_user_meta_data -> 'picture';
        exception when others then
            if nura.is_server_failure(sqlstate) then
                raise;
            end if;
            execute 'discard plans';
            v_unchanged := false;
        end;
        if v_unchanged and old.last_sign_in_at is not distinct from new.last_sign_in_at then
            return null;  -- a role, token, ban, refresh or app-metadata write: nothing we mirror changed
        end if;
        if coalesce(current_setting('nura.bulk_updated_by', true), '') <> '' then
            -- a multi-row statement synced its rows (nura.tg_auth_users__sync_bulk_update): done,
            -- if the row is as that statement left it and this event is that statement's (Auth's
            -- own writes are single-row: they never come here, nor pay for an error block)
            -- (a version whose xmax is set, locked or written by a rolled-back savepoint, may carry
            -- a combo command id instead: it goes the general way)
            select a.xmax::text = '0'
                   and position(',' || a.cmin::text || ',' in current_setting('nura.bulk_updated_by')) > 0
                   and a is not distinct from new
              into v_synced_in_bulk
              from auth.users a where a.id = new.id;
            if v_synced_in_bulk then
                return null;
            end if;
        end if;
        if v_unchanged then
            -- A sign-in: its event writes its own value (a later sign-in in the transaction has a
            -- later event), unless the general path must sync this user.
            if nura.sync_sign_in(new.id, old.last_sign_in_at, new.last_sign_in_at) then
                return null;
            end if;
        end if;
    end if;
    if tg_op = 'INSERT' then
        v_bulk_logs_after := nullif(current_setting('nura.bulk_insert_logs_after', true), '')::bigint;
    end if;
    if v_bulk_logs_after is not null and exists (
        select from public.user_sync_logs l
        where l.user_id = new.id and l.id > v_bulk_logs_after
          and l.sync_type = 'create' and l.source = 'supabase_auth'
    ) then
        return null;  -- created by the set-based sync of a multi-row INSERT in this transaction
    end if;

    select a.id::text || '@' || a.ctid::text into v_version from auth.users a where a.id = new.id;
    if not found then
        return null;  -- deleted later in this transaction; the DELETE trigger saw to it
    end if;
    if v_version = current_setting('nura.synced_auth_version', true) then
        return null;  -- this row version is synced already
    end if;
    select * into v_auth from auth.users a where a.id = new.id;

    if tg_op = 'INSERT' then
        perform nura.sync_auth_user(null, v_auth, 'supabase_auth');
    else
        perform nura.sync_auth_user(old, v_auth, 'supabase_auth');
    end if;
    perform set_config('nura.synced_auth_version', v_version, true);
    return null;
end
$$;
comment on function nura.tg_auth_users__sync() is 'Trigger (deferred): syncs an auth user''s row as it stands at commit, once per transaction.';
revoke all on function nura.tg_auth_users__sync() from public;
