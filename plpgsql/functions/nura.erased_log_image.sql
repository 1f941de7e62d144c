-- A sync-log image (before_data or after_data) of a deleted user: the keys stay, so the row still
-- says what changed, but every value is nulled except the bookkeeping that names no one (the
-- user's state, and the ids of the rows and legacy rows involved).
create or replace function nura.erased_log_image(p_data jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
    if jsonb_typeof(p_data) is distinct from 'object' then
        return p_data;
    end if;
    return coalesce((select jsonb_object_agg(e.key, case when e.key in ('id', 'is_active', 'deleted_at', 'origin',
                                                                        'legacy_rows', 'merged_legacy_person')
                                                         then e.value else 'null' end)
                     from jsonb_each(p_data) e), '{}');
end
$$;
comment on function nura.erased_log_image(jsonb) is 'A deleted user''s sync-log image: its keys, no values.';
revoke all on function nura.erased_log_image(jsonb) from public;
