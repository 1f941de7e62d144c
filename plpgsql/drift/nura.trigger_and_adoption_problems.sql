-- The drift problems that are not about one user's row, read where they live (the catalog, the
-- blocked adoptions) by both the full and the incremental check: trigger_missing and
-- adoption_blocked.
create or replace function nura.trigger_and_adoption_problems()
returns table (user_id uuid, problem text, detail jsonb)
language sql
stable
set search_path = ''
as $$
    select null::uuid, 'trigger_missing', jsonb_build_object('missing', array_agg(t.name))
    from unnest(array['tg_auth_users__sync_insert', 'tg_auth_users__sync_bulk_insert', 'tg_auth_users__sync_update',
                      'tg_auth_users__sync_bulk_update', 'tg_auth_users__sync_delete']) as t(name)
    where not exists (
        select from pg_catalog.pg_trigger g
        where g.tgrelid = to_regclass('auth.users') and g.tgname = t.name and g.tgenabled in ('O', 'A'))
    having count(*) > 0

    union all
    select b.account_id, 'adoption_blocked',
           jsonb_build_object('legacy_person', b.person_id, 'blocked_by', b.blocked_by, 'since', b.blocked_at)
    from nura.legacy_blocked_adoptions() b
$$;
comment on function nura.trigger_and_adoption_problems() is 'Drift: missing triggers and blocked adoptions.';
revoke all on function nura.trigger_and_adoption_problems() from public;
