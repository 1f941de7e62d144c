-- A sync-log image with the values of personal fields nulled: the keys stay, so the row still
-- says what changed, but not to what.
create or replace function nura.erase_personal(p_data jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select p_data || coalesce(jsonb_object_agg(k, null), '{}')
    from unnest(nura.personal_fields()) as k
    where p_data ? k
$$;
comment on function nura.erase_personal(jsonb) is 'Nulls the personal values in a sync-log image.';
