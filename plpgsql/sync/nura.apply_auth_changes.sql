-- Writes the public.users fields in p_changes (as nura.auth_user_fields keys them) from the auth
-- image p_auth, under the user's row lock, and logs what changed; creates the user if missing.
-- A tombstone is brought back only by a whole image (p_whole: an id reused by a new signup, or
-- reconcile), never by a partial auth UPDATE.
create or replace function nura.apply_auth_changes(p_auth auth.users, p_changes jsonb, p_source text, p_whole boolean)
returns void
language plpgsql
set search_path = ''
as $$
declare
    -- an image without created_at (a webhook's may lack it) keeps ours
    v_changes jsonb := case when jsonb_typeof(p_changes -> 'created_at') = 'null'
                            then p_changes - 'created_at' else p_changes end;
    v_user public.users;
    v_row jsonb;
    v_before jsonb;
    v_after jsonb;
begin
    if v_changes = '{}' then
        return;  -- nothing we mirror changed: no lock taken, nothing written
    end if;

    select * into v_user from public.users where id = p_auth.id for update;
    if not found then
        perform nura.create_users_from_auth(array[p_auth], p_source);
        return;
    end if;
    if v_user.deleted_at is not null then
        if not p_whole then
            return;
        end if;
        v_changes := v_changes || '{"deleted_at": null, "is_active": true}';
    elsif v_user.origin = 'legacy_migration' then
        -- a legacy person's row that an account took over (it adopted them at signup, or Auth
        -- was given their id): Auth fills only what the person lacks; the account is active
        v_changes := (v_changes - array(select k from unnest(array['full_name', 'phone_number', 'avatar_url', 'created_at']) k
                                        where to_jsonb(v_user) ->> k is not null))
                     || jsonb_build_object('is_active', true, 'origin',
                            case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end);
    end if;

    v_row := to_jsonb(v_user);
    v_after := nura.changed_fields(v_row, v_changes);
    if v_after = '{}' then
        return;
    end if;
    v_before := nura.pick(v_row, v_after);

    update public.users u
       set (email, phone_number, full_name, avatar_url, email_confirmed_at, phone_confirmed_at,
            last_sign_in_at, created_at, deleted_at, is_active, origin, updated_at)
         = (r.email, r.phone_number, r.full_name, r.avatar_url, r.email_confirmed_at,
            r.phone_confirmed_at, r.last_sign_in_at, r.created_at, r.deleted_at, r.is_active,
            case when p_source in ('supabase_auth', 'reconcile') then 'supabase_auth' else p_source end, now())
      from jsonb_populate_record(v_user, v_after) r
     where u.id = v_user.id;

    perform nura.write_sync_log(v_user.id,
        case when p_source = 'reconcile' then 'reconcile' else 'update' end,
        p_source, v_before, v_after);
end
$$;
comment on function nura.apply_auth_changes(auth.users, jsonb, text, boolean) is 'Writes mirrored auth fields to a user and logs them.';
revoke all on function nura.apply_auth_changes(auth.users, jsonb, text, boolean) from public;
