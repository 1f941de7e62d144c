-- Applies one auth.users row image to public.users, under the user's row lock.
-- p_old is the image before an auth UPDATE: only the fields that write changed are copied, so
-- an unrelated auth write never overwrites a profile edit. With p_old null the whole image is
-- applied (a signup, reconcile, backfill), limited to p_only when given. A deleted image
-- tombstones the user. A tombstone is brought back only by a whole image (an id reused by a new
-- signup, or reconcile), never by a partial auth UPDATE.
create or replace function nura.apply_auth_user(
    p_old auth.users,
    p_new auth.users,
    p_source text,
    p_only text[] default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_changes jsonb;
    v_user public.users;
    v_before jsonb;
    v_after jsonb;
    v_whole boolean := p_old.id is null;
begin
    if p_new.id is null or p_new.deleted_at is not null then
        perform nura.tombstone_users(array[coalesce(p_new.id, p_old.id)], p_source);
        return;
    end if;

    v_changes := nura.auth_user_fields(p_new);
    if not v_whole then
        v_changes := nura.changed_fields(nura.auth_user_fields(p_old), v_changes);
    end if;
    if jsonb_typeof(v_changes -> 'created_at') = 'null' then
        v_changes := v_changes - 'created_at';  -- an image without it (a webhook) keeps ours
    end if;
    if p_only is not null then
        v_changes := v_changes - array(select jsonb_object_keys(v_changes) except select unnest(p_only));
    end if;
    if v_changes = '{}' then
        return;  -- nothing we mirror changed: no lock taken, nothing written
    end if;

    select * into v_user from public.users where id = p_new.id for update;
    if not found then
        perform nura.create_users_from_auth(array[p_new], p_source);
        return;
    end if;
    if v_user.deleted_at is not null then
        if not v_whole then
            return;
        end if;
        v_changes := v_changes || '{"deleted_at": null, "is_active": true}';
    end if;

    v_after := nura.changed_fields(to_jsonb(v_user), v_changes);
    if v_after = '{}' then
        return;
    end if;
    v_before := (select jsonb_object_agg(k, to_jsonb(v_user) -> k) from jsonb_object_keys(v_after) k);

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
comment on function nura.apply_auth_user(auth.users, auth.users, text, text[]) is 'Applies one auth.users row image to public.users and logs what changed.';
revoke all on function nura.apply_auth_user(auth.users, auth.users, text, text[]) from public;
