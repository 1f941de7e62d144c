-- One batch of the backfill (migrate, reconcile): of the auth users on the next p_pages pages of
-- auth.users from page p_from_page (at most 5,000 of them), creates the public.users rows of
-- those who have none, in one short transaction, and returns the page to carry on from (null
-- past the end, or at once from a first call, p_from_page null, when no one is missing), how many
-- it created and how many pages the table has (for progress); p_pages null is about 5,000 users'
-- worth. So the caller walks auth.users batch by batch, a run cut short carries on, and no
-- transaction outlasts a batch. The walk is in the table's physical order, as a plain read of it
-- goes (walked by id, each batch's rows lay on pages all over the table, and locking them dirtied
-- thousands of pages a batch); each batch is created in id order, so the indexes on user ids are
-- written leaf by leaf. The walk alone can miss someone: a row an update moved behind it (one
-- that changed nothing we mirror, which our trigger skips) or a table rewritten meanwhile; the
-- full check `reconcile` and `migrate` run after it finds them, and they are created then.
-- The missing users' auth rows are locked first, so a delete of one waits for the batch instead
-- of slipping between its read and its insert; one that Auth is writing right now is skipped,
-- not waited for (two multi-row lockers could deadlock): its own sync creates it, or the next
-- run. Signups and other users' writes never wait for it. A batch that fails goes user by user
-- (nura.create_missing_users).
create or replace function nura.backfill_users(p_from_page bigint, p_pages integer)
returns table (next_page bigint, created integer, of_pages bigint)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_from constant bigint := coalesce(p_from_page, 0);
    v_end constant bigint := pg_catalog.pg_relation_size('auth.users') / current_setting('block_size')::bigint;
    v_pages constant integer := coalesce(p_pages, (
        select greatest(1, least(100000, round(5000.0 * c.relpages / c.reltuples)))::integer
        from pg_catalog.pg_class c
        where c.oid = 'auth.users'::regclass and c.relpages > 0 and c.reltuples > 0), 100);
    v_most constant integer := 5000;  -- users a batch locks and creates, at most
    v_batch auth.users[];
    v_last_page bigint;
    v_found integer;
begin
    if v_pages not between 1 and 100000 then
        perform nura.raise_error('PT400', 'the batch must be from 1 to 100000 pages');
    end if;
    if v_from < 0 then
        perform nura.raise_error('PT400', 'the page to start from must not be negative');
    end if;
    created := 0;
    of_pages := v_end;
    next_page := case when v_from + v_pages < v_end then v_from + v_pages end;
    if p_from_page is null and not exists (  -- the first call: one scan without locks, if none is missing
        select from auth.users a
        where a.deleted_at is null and not exists (select from public.users u where u.id = a.id)) then
        next_page := null;
        return next;
        return;
    end if;
    select array_agg(s.a order by (s.a).id), max(s.page), count(*) into v_batch, v_last_page, v_found
      from (select a, (a.ctid::text::point)[0]::bigint as page from auth.users a
            where a.ctid >= format('(%s,0)', v_from)::tid and a.ctid < format('(%s,0)', v_from + v_pages)::tid
              and a.deleted_at is null
              -- a probe of ours per row, whatever the statistics say: as an anti-join, planned
              -- while public.users was still small, it hashed all of it for every batch
              and (select u.id from public.users u where u.id = a.id) is null
            order by a.ctid
            limit v_most  -- the pages are an estimate: a bloated or unanalyzed table holds more
            for no key update of a skip locked) s;
    if v_found = v_most then  -- cut short: the next batch starts on the last page it took a row from
        -- (within this batch's: a row locked as updated meanwhile reports its newer version's page,
        -- which can skip pages of this batch; the full check after the walk finds their users)
        next_page := greatest(v_from + 1, least(v_last_page, v_from + v_pages - 1));
    end if;
    if v_batch is not null then
        created := nura.create_missing_users(v_batch);
    end if;
    return next;
end
$$;
comment on function nura.backfill_users(bigint, integer) is 'Service API: creates the missing users of one batch of auth.users, walked page by page.';
revoke all on function nura.backfill_users(bigint, integer) from public;
grant execute on function nura.backfill_users(bigint, integer) to nura_service, service_role;
