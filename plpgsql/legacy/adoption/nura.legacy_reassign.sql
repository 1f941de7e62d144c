-- Moves what the legacy import keeps of a person (their log rows, the legacy rows they came
-- from, the values that lost, what an import under way staged for them) to their account.
create or replace function nura.legacy_reassign(p_from uuid, p_to uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
    update public.user_sync_logs set user_id = p_to where user_id = p_from;
    update nura.legacy_user_map set user_id = p_to where user_id = p_from;
    update nura.legacy_conflicts set user_id = p_to where user_id = p_from;
    update nura.legacy_rows set person_id = p_to where person_id = p_from;
end
$$;
comment on function nura.legacy_reassign(uuid, uuid) is 'Legacy import: moves a person''s log, map, conflicts and staged rows to another user.';
revoke all on function nura.legacy_reassign(uuid, uuid) from public;
