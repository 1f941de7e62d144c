-- One batch of the backfill (migrate, reconcile): of the next p_limit auth users after p_after by
-- id, creates the public.users rows of those who have none, in one short transaction, and
-- returns the last id visited (null past the end, or at once from a first call, p_after null,
-- when no one is missing) and how many it created; so the caller walks auth.users batch by
-- batch, a run cut short carries on, and no transaction outlasts a batch. The
-- missing users' auth rows are locked first, so a delete of one waits for the batch instead of
-- slipping between its read and its insert; one that Auth is writing right now is skipped, not
-- waited for (two multi-row lockers could deadlock): its own sync creates it, or the next run.
-- Signups and other users' writes never wait for it. A batch that fails goes user by user
-- (nura.create_missing_users).
create or replace function nura.backfill_users(p_after uuid, p_limit integer)
returns table (last_id uuid, created integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_after constant uuid := coalesce(p_after, '00000000-0000-0000-0000-000000000000');
    v_batch auth.users[];
begin
    if p_limit is null or p_limit not between 1 and 10000 then
        perform nura.raise_error('PT400', 'the batch size must be from 1 to 10000 users');
    end if;
    select (array_agg(b.id order by b.id desc))[1] into last_id
      from (select a.id from auth.users a where a.id > v_after order by a.id limit p_limit) b;
    created := 0;
    if p_after is null and not exists (  -- the first call: one scan without locks, if none is missing
        select from auth.users a
        where a.deleted_at is null and not exists (select from public.users u where u.id = a.id)) then
        last_id := null;
    end if;
    if last_id is null then
        return next;
        return;
    end if;
    select array_agg(s.a order by (s.a).id) into v_batch
      from (select a from auth.users a
            where a.id > v_after and a.id <= last_id and a.deleted_at is null
              -- the batch's range on ours too: read by index whatever the plan, never all of it
              and not exists (select from public.users u where u.id = a.id and u.id > v_after and u.id <= last_id)
            order by a.id
            for no key update of a skip locked) s;
    if v_batch is not null then
        created := nura.create_missing_users(v_batch);
    end if;
    return next;
end
$$;
comment on function nura.backfill_users(uuid, integer) is 'Service API: creates the missing users of one batch of auth.users, walked by id.';
revoke all on function nura.backfill_users(uuid, integer) from public;
grant execute on function nura.backfill_users(uuid, integer) to nura_service, service_role;
