"""A multi-row UPDATE of auth.users is synced set-based (nura.tg_auth_users__sync_bulk_update) and
leaves what the same writes made one statement at a time leave: the same public.users, one log row
per changed user naming the same fields; a row whose sync fails fails alone; rows the set-based
statement does not cover are synced one by one; and other writes of the transaction are synced."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.database import reject_in_users, row_by_row_syncs

ROWS = 10_000
SINGLE = 200
SEED = """
insert into users (instance_id, id, aud, role, email, phone, raw_app_meta_data, raw_user_meta_data,
    created_at, updated_at, email_confirmed_at, last_sign_in_at, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    i || '@' || %(kind)s || '.example', case when i %% 2 = 0 then %(phones)s || lpad(i::text, 8, '0') end,
    jsonb_build_object('kind', %(kind)s::text, 'phones', %(phones)s::text),
    jsonb_build_object('full_name', 'User ' || i),
    '2026-01-01', '2026-01-01', case when i %% 3 = 0 then timestamptz '2026-01-02' end, '2026-01-03', false, false
from generate_series(1, %(n)s) i
"""
# each mirrored column, changed to values that depend on the row only, so both ways give the same
CHANGES = {
    "email": "email = 'new.' || email",
    "phone": "phone = case when phone is null then (raw_app_meta_data ->> 'phones') || '1'"
    " || lpad(split_part(email, '@', 1), 8, '0') end",
    "email_confirmed_at": "email_confirmed_at = '2026-02-01'",
    "phone_confirmed_at": "phone_confirmed_at = '2026-02-02'",
    "last_sign_in_at": "last_sign_in_at = '2026-02-03'",
    "full_name": "raw_user_meta_data = raw_user_meta_data"
    " || jsonb_build_object('full_name', 'Renamed ' || split_part(email, '@', 1))",
    "avatar_url": 'raw_user_meta_data = raw_user_meta_data || \'{"avatar_url": "https://cdn.example/a.png"}\'',
    "created_at": "created_at = '2025-12-31'",
    "deleted_at": "deleted_at = '2026-02-04'",
}
# what is compared of a user: all but the columns that tell when the sync ran
USER = """
select split_part(a.email, '@', 1),
       to_jsonb(u) - 'id' - 'email' - 'phone_number' - 'updated_at' - 'deleted_at' || jsonb_build_object(
           'email', split_part(u.email, '@', 1), 'phone', right(u.phone_number, 8), 'deleted', u.deleted_at is not null)
from public.users u join auth.users a on a.id = u.id
where a.raw_app_meta_data ->> 'kind' = %s
"""
LOG = """
select split_part(a.email, '@', 1), l.sync_type, l.source, l.success,
       l.before_data - 'deleted_at' - 'email' - 'phone_number', l.after_data - 'deleted_at' - 'email' - 'phone_number',
       array(select jsonb_object_keys(l.after_data) order by 1)
from public.user_sync_logs l join auth.users a on a.id = l.user_id
where a.raw_app_meta_data ->> 'kind' = %s and l.sync_type <> 'create'
order by l.id
"""


def _seed(db, kind: str, n: int) -> None:
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(SEED, {"kind": kind, "n": n, "phones": "4479" if kind == "bulk" else "4478"})


def _users(db, kind: str) -> dict:
    return dict(db.all(USER, (kind,)))


def _logs(db, kind: str) -> dict:
    logs: dict = {}
    for key, *entry in db.all(LOG, (kind,)):
        logs.setdefault(key, []).append(tuple(entry))
    return logs


@pytest.mark.parametrize("column", list(CHANGES))
def test_a_bulk_update_syncs_every_row_as_single_row_updates_do(db, column):
    _seed(db, "bulk", ROWS)
    _seed(db, "single", SINGLE)
    change = CHANGES[column]
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(f"update users set {change} where raw_app_meta_data ->> 'kind' = 'bulk'")
        assert row_by_row_syncs(conn) == 0  # the deferred per-row events found their rows synced
    with psycopg.connect(db.url("supabase_auth_admin"), autocommit=True) as conn:
        for (uid,) in conn.execute("select id from users where raw_app_meta_data ->> 'kind' = 'single'").fetchall():
            conn.execute(f"update users set {change} where id = %s", (uid,))
    bulk, single = _users(db, "bulk"), _users(db, "single")
    assert len(bulk) == ROWS and {k: bulk[k] for k in single} == single
    bulk_logs, single_logs = _logs(db, "bulk"), _logs(db, "single")
    assert {k: bulk_logs.get(k) for k in single} == {k: single_logs.get(k) for k in single}
    assert all(len(entries) == 1 for entries in bulk_logs.values())  # one log row per user
    assert len(bulk_logs) == ROWS if column not in ("phone",) else len(bulk_logs) > ROWS / 3
    assert db.drift() == []


def test_a_row_whose_sync_fails_fails_alone(db):
    _seed(db, "bulk", 1000)
    reject_in_users(db, "email = 'new.7@bulk.example'")
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set email = 'new.' || email where raw_app_meta_data ->> 'kind' = 'bulk'")
    assert db.one("select count(*) from public.users where email like 'new.%'")[0] == 999
    failed = db.all("select l.user_id from public.user_sync_logs l where not l.success")
    assert len(failed) == 1
    assert {p for _, p, _ in db.drift()} == {"stale", "failed"}


def test_rows_the_set_based_statement_does_not_cover_are_synced_one_by_one(db):
    _seed(db, "bulk", 50)
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from public.users where email = '1@bulk.example'")  # missing
        conn.execute("update public.users set origin = 'legacy_migration' where email = '2@bulk.example'")
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set email_confirmed_at = '2026-03-01' where raw_app_meta_data ->> 'kind' = 'bulk'")
    confirmed = dict(db.all("select email, email_confirmed_at is not null from public.users"))
    assert len(confirmed) == 50 and all(confirmed.values())  # the missing one made, the legacy one filled
    assert db.drift() == []


def test_writes_before_and_after_a_bulk_update_in_its_transaction_are_synced(db):
    _seed(db, "bulk", 20)
    ids = [uid for (uid,) in db.all("select id from auth.users order by email")]
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set email = 'before@bulk.example' where id = %s", (ids[0],))
        conn.execute("update users set email_confirmed_at = '2026-03-01' where raw_app_meta_data ->> 'kind' = 'bulk'")
        conn.execute("update users set email = 'after@bulk.example' where id = %s", (ids[1],))
        # a statement writing a row as it was, after a change to it
        conn.execute("update users set phone = '447900000001' where id = %s", (ids[2],))
        conn.execute("update users set phone = phone where raw_app_meta_data ->> 'kind' = 'bulk'")
    emails = dict(db.all("select id::text, email from public.users"))
    assert emails[str(ids[0])] == "before@bulk.example" and emails[str(ids[1])] == "after@bulk.example"
    assert db.one("select phone_number from public.users where id = %s", (ids[2],))[0] == "+447900000001"
    assert db.drift() == []


def test_a_bulk_soft_delete_tombstones_set_based(db):
    _seed(db, "bulk", 2000)
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set deleted_at = now(), email = null where raw_app_meta_data ->> 'kind' = 'bulk'")
        assert row_by_row_syncs(conn) == 0
    assert db.one("select count(*) from public.users where deleted_at is null")[0] == 0
    assert db.one("select count(*) from public.user_sync_logs where sync_type = 'delete'")[0] == 2000
    assert db.drift() == []


def test_metadata_rewritten_to_the_same_name_and_avatar_keeps_profile_edits(db):
    """Auth's raw keys change but what they map to does not (the name padded, an avatar that is no
    URL): a user's own edits stay, in bulk as one row at a time, and nothing is logged for it."""
    _seed(db, "bulk", 300)
    _seed(db, "single", 30)
    with db.connect() as conn:
        for (uid,) in conn.execute("select id from public.users").fetchall():
            conn.execute(
                'select nura.update_profile(%s, \'{"full_name": "Own Name", "avatar_url": "https://own.example/a.png"}\')',
                (uid,),
            )
    change = (
        "raw_user_meta_data = raw_user_meta_data || jsonb_build_object("
        "'full_name', '  ' || (raw_user_meta_data ->> 'full_name') || ' ', 'picture', 'ftp://no.example/p.png')"
    )
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(f"update users set {change} where raw_app_meta_data ->> 'kind' = 'bulk'")
        assert row_by_row_syncs(conn) == 0
    with psycopg.connect(db.url("supabase_auth_admin"), autocommit=True) as conn:
        for (uid,) in conn.execute("select id from users where raw_app_meta_data ->> 'kind' = 'single'").fetchall():
            conn.execute(f"update users set {change} where id = %s", (uid,))
    bulk, single = _users(db, "bulk"), _users(db, "single")
    assert {k: bulk[k] for k in single} == single
    assert {(u["full_name"], u["avatar_url"]) for u in bulk.values()} == {("Own Name", "https://own.example/a.png")}
    assert (
        db.one("select count(*) from public.user_sync_logs where source = 'supabase_auth' and sync_type = 'update'")[0]
        == 0
    )
