-- Applies one auth.users row image to public.users. p_old is the image before an auth UPDATE:
-- only the fields that write changed are copied, so an unrelated auth write never overwrites a
-- profile edit. With p_old null the whole image is applied (a signup, reconcile, backfill),
-- limited to p_only when given. A deleted image tombstones the user. A write that confirmed the
-- account's address may make it adopt the legacy person who has it.
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
    v_whole constant boolean := p_old.id is null;
begin
    if p_new.id is null or p_new.deleted_at is not null then
        perform nura.tombstone_users(array[coalesce(p_new.id, p_old.id)], p_source);
        return;
    end if;

    v_changes := nura.auth_user_fields(p_new);
    if not v_whole then
        v_changes := nura.changed_fields(nura.auth_user_fields(p_old), v_changes);
    end if;
    if p_only is not null then
        v_changes := v_changes - array(select jsonb_object_keys(v_changes) except select unnest(p_only));
    end if;
    perform nura.apply_auth_changes(p_new, v_changes, p_source, v_whole);
    if nura.legacy_adopts_on(p_old, p_new) then  -- it confirmed an address
        perform nura.legacy_adopt(array[p_new], p_source);
    end if;
end
$$;
comment on function nura.apply_auth_user(auth.users, auth.users, text, text[]) is 'Applies one auth.users row image to public.users and logs what changed.';
revoke all on function nura.apply_auth_user(auth.users, auth.users, text, text[]) from public;
