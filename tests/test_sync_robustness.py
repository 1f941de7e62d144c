"""The sync never breaks a signup: hostile metadata never fails nor sticks, an error of the sync's
own is undone alone, logged and repaired by reconcile, bulk statements work set-based, and
concurrent writers lose nothing."""

from __future__ import annotations

import json
import threading
import time
import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from glue.dev.supabase_standin import Transaction, clock
from tests.support.database import reject_in_users, row_by_row_syncs, stop_rejecting

HOSTILE_METADATA = [
    ({"full_name": 42, "name": "Fallback Name"}, "Fallback Name", None),
    ({"full_name": {"first": "x"}, "avatar_url": ["https://a.example/x.png"]}, None, None),
    ({"full_name": "   ", "name": None}, None, None),
    ({"full_name": "N" * 5000}, "N" * 200, None),
    (
        {"avatar_url": "javascript:alert(1)", "picture": "https://ok.example/p.png"},
        None,
        "https://ok.example/p.png",
    ),
    ({"avatar_url": "data:image/png;base64,AAAA"}, None, None),
    ({"avatar_url": "https://long.example/" + "a" * 3000}, None, None),
    ({"full_name": "Robert'); drop table public.users;--"}, "Robert'); drop table public.users;--", None),
    ({"blob": "x" * 3_000_000, "full_name": "Big Meta"}, "Big Meta", None),
]


@pytest.mark.parametrize("metadata, full_name, avatar", HOSTILE_METADATA)
def test_hostile_metadata_never_fails_and_never_sticks(db, metadata, full_name, avatar):
    uid = db.auth.email_signup(f"{uuid.uuid4().hex}@example.com", metadata)
    user = db.user(uid)
    assert (user["full_name"], user["avatar_url"]) == (full_name, avatar)
    assert all(log["success"] for log in db.logs(uid))
    assert "x" * 100 not in json.dumps([log["after_data"] for log in db.logs(uid)])


MAPPED = (
    "select a.email, jsonb_strip_nulls(nura.auth_user_fields(a)) - 'created_at',"
    " jsonb_strip_nulls(to_jsonb(u)) - array(select jsonb_object_keys(to_jsonb(u))"
    "   except select jsonb_object_keys(nura.auth_user_fields(a))) - 'created_at',"
    " l.after_data, u.created_at = a.created_at"
    " from auth.users a join public.users u on u.id = a.id"
    " join public.user_sync_logs l on l.user_id = a.id and l.sync_type = 'create'"
)


def test_a_created_user_holds_and_logs_what_the_mapping_gives(db):
    # a signup and a bulk insert take the same create, whose columns are mapped in place
    metadata = [m for m, _, _ in HOSTILE_METADATA]
    phones = [None, "4477009001{:02}", "+1555010{:02}", "{}", "not a phone {}"]  # plausible or not
    rows = [(f"m{i}@example.com", (phones[i % 5] or "").format(i) or None, Jsonb(m)) for i, m in enumerate(metadata)]
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "insert into users (instance_id, id, aud, role, email, phone, raw_user_meta_data, created_at,"
            " updated_at, email_confirmed_at, last_sign_in_at, is_sso_user, is_anonymous)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',"
            " r.email, r.phone, r.meta, now() - interval '1 day', now(), now(), now(), false, false"
            " from unnest(%s::text[], %s::text[], %s::jsonb[]) r(email, phone, meta)",
            ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        )
    mapped = db.all(MAPPED)
    assert len(mapped) == len(rows)
    for email, fields, user, logged, created_at_kept in mapped:
        assert user == fields and logged == fields and created_at_kept, email


def test_metadata_that_is_not_an_object(db):
    uid = db.auth.email_signup("odd@example.com")
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set raw_user_meta_data = %s where id = %s", (Jsonb(["a", 1]), uid))
        conn.execute("update users set raw_user_meta_data = %s where id = %s", (Jsonb("text"), uid))
        conn.execute("update users set raw_user_meta_data = null where id = %s", (uid,))
    assert db.user(uid)["email"] == "odd@example.com"
    assert all(log["success"] for log in db.logs(uid))


def _break_sync_for(db, email: str) -> None:
    reject_in_users(db, sql.SQL("email = {}").format(sql.Literal(email)))


def test_a_failing_sync_never_fails_the_signup_and_reconcile_repairs_it(db):
    _break_sync_for(db, "victim@example.com")
    victim = db.auth.email_signup("victim@example.com", {"full_name": "Victim"})
    other = db.auth.email_signup("fine@example.com")
    assert db.one("select count(*) from auth.users where id = %s", (victim,))[0] == 1  # the signup went through
    assert db.user(victim) is None and db.user(other) is not None
    failures = [log for log in db.logs(victim) if not log["success"]]
    assert failures and failures[0]["sync_type"] == "create" and failures[0]["source"] == "supabase_auth"
    assert failures[0]["error_message"].startswith("23514: ")  # SQLSTATE, then the message
    assert "victim@example.com" not in failures[0]["error_message"]  # no row values in the log
    problems = {(str(u), p) for u, p, _ in db.drift()}
    assert problems == {(victim, "missing"), (victim, "failed")}

    stop_rejecting(db)
    repaired = db.one("select nura.reconcile()")[0]
    assert repaired == 1
    assert db.user(victim)["full_name"] == "Victim"
    assert db.drift() == []


def test_a_failing_update_is_logged_and_repaired_by_reconcile(db):
    uid = db.auth.email_signup("changer@example.com")
    _break_sync_for(db, "changed@example.com")
    db.auth.request_email_change(uid, "changed@example.com")
    db.auth.confirm_email_change(uid)
    assert db.one("select email from auth.users where id = %s", (uid,))[0] == "changed@example.com"
    assert db.user(uid)["email"] == "changer@example.com"
    assert {p for _, p, _ in db.drift()} == {"stale", "failed"}
    stale = next(d for _, p, d in db.drift() if p == "stale")
    assert stale == {"fields": ["email"]}  # the sign-in that the confirmation makes is synced on its own
    # A later successful partial sync (a sign-in) does not count as a repair of the failure.
    db.auth.sign_in(uid)
    assert {p for _, p, _ in db.drift()} == {"stale", "failed"}
    stop_rejecting(db)
    assert db.one("select nura.reconcile()")[0] == 1
    assert db.user(uid)["email"] == "changed@example.com"
    assert db.drift() == []


def test_bulk_insert_with_one_bad_row_syncs_the_others(db):
    _break_sync_for(db, "bad@bulk.example")
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,"
            " created_at, updated_at, is_sso_user, is_anonymous, confirmation_token)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',"
            " e, '{}', '{}', now(), now(), false, false, ''"
            " from unnest(array['a@bulk.example', 'bad@bulk.example', 'c@bulk.example']) e"
        )
        assert row_by_row_syncs(conn) == 3
    emails = [e for (e,) in db.all("select email from public.users order by email")]
    assert emails == ["a@bulk.example", "c@bulk.example"]
    assert db.one("select count(*) from public.user_sync_logs where not success")[0] == 1


def test_a_revoked_permission_is_the_syncs_error_too(db):
    with db.connect("supabase_admin") as conn:
        conn.execute("revoke insert on public.users from postgres")
    uid = db.auth.email_signup("lonely@example.com")
    assert db.user(uid) is None
    assert db.logs(uid)[0]["error_message"].startswith("42501: ")
    with db.connect("supabase_admin") as conn:
        conn.execute("grant insert on public.users to postgres")
    db.one("select nura.reconcile()")
    assert db.user(uid) is not None


def test_a_cancelled_statement_fails_cleanly(db):
    """Outside the guarantee: cancelling Auth's transaction while the sync runs (at its commit)
    cancels the auth write itself; nothing is half-written."""
    with db.connect() as conn:
        conn.execute(
            "create function public.slow() returns trigger language plpgsql as "
            "$$ begin perform pg_sleep(5); return null; end $$"
        )
        conn.execute("create trigger slow after insert on public.users for each row execute function public.slow()")
    with pytest.raises(psycopg.errors.QueryCanceled), psycopg.connect(db.url("supabase_auth_admin")) as conn:
        Transaction(conn).insert_user(id=str(uuid.uuid4()), email="slow@example.com")
        threading.Timer(0.3, conn.cancel).start()
    assert db.one("select count(*) from auth.users")[0] == 0
    assert db.one("select count(*) from public.users")[0] == 0


def test_a_transaction_that_cannot_commit_fails_whole(db):
    """Outside the guarantee: when Auth's transaction cannot commit (here another deferred check
    on auth.users refuses at commit, as a full disk or a lost synchronous standby would), the
    signup fails and the sync's row and log row go with it; nothing is half-written."""
    with db.connect("supabase_admin") as conn:
        conn.execute(
            "create function public.refuse_commit() returns trigger language plpgsql as "
            "$$ begin raise exception 'cannot commit'; end $$"
        )
        conn.execute(
            "create constraint trigger zz_refuse_commit after insert on auth.users deferrable initially deferred"
            " for each row execute function public.refuse_commit()"
        )
    with pytest.raises(psycopg.errors.RaiseException), psycopg.connect(db.url("supabase_auth_admin")) as conn:
        Transaction(conn).insert_user(id=str(uuid.uuid4()), email="never@example.com")
    assert db.one("select count(*) from auth.users")[0] == 0
    assert db.one("select count(*) from public.users")[0] == 0
    assert db.one("select count(*) from public.user_sync_logs")[0] == 0
    assert db.drift() == []


def _insert_anonymous(db, n: int) -> None:
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "insert into users (instance_id, id, aud, role, raw_app_meta_data, raw_user_meta_data,"
            " created_at, updated_at, last_sign_in_at, is_sso_user, is_anonymous)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', '{}', '{}', now() - interval '40 days', now(), now(), false, true"
            " from generate_series(1, %s)",
            (n,),
        )
        assert row_by_row_syncs(conn) == 0  # one set-based statement


def test_bulk_purge_of_thousands_of_anonymous_users(db):
    _insert_anonymous(db, 5000)
    assert db.one("select count(*) from public.users")[0] == 5000
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("delete from users where is_anonymous is true and created_at < now() - interval '30 days'")
        assert row_by_row_syncs(conn) == 0
    assert db.one("select count(*) from public.users where deleted_at is null")[0] == 0
    assert db.one("select count(*) from public.user_sync_logs where sync_type = 'delete'")[0] == 5000
    assert db.drift() == []


def test_concurrent_signups_and_updates_lose_nothing(db):
    ids = [db.auth.email_signup(f"c{i}@example.com", {"full_name": f"C{i}"}) for i in range(8)]
    errors = []

    def worker(n: int) -> None:
        try:
            for round_ in range(15):
                target = ids[(n + round_) % len(ids)]
                db.auth.update_metadata(target, {"full_name": f"W{n}-{round_}"})
                db.auth.sign_in(target)
                db.auth.email_signup(f"w{n}-{round_}@example.com")
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.drift() == []
    assert db.one("select count(*) from public.users")[0] == 8 + 6 * 15
    assert db.one("select count(*) from public.user_sync_logs where not success")[0] == 0
    # Every user's full_name is the one auth holds, and its latest log row says so.
    for uid in ids:
        auth_name = db.one("select raw_user_meta_data ->> 'full_name' from auth.users where id = %s", (uid,))[0]
        assert db.user(uid)["full_name"] == auth_name
        last = [log for log in db.logs(uid) if "full_name" in (log["after_data"] or {})][-1]
        assert last["after_data"]["full_name"] == auth_name


def test_reconcile_repairs_the_rest_when_one_user_keeps_failing(db):
    _break_sync_for(db, "stuck@example.com")
    stuck = db.auth.email_signup("stuck@example.com")
    with db.connect("supabase_admin") as conn:  # two users the triggers never saw
        conn.execute("set session_replication_role = replica")
        conn.execute("set search_path = auth")
        for email in ("m1@example.com", "m2@example.com"):
            Transaction(conn).insert_user(id=str(uuid.uuid4()), email=email)
    assert db.one("select nura.reconcile()")[0] == 2
    assert db.one("select count(*) from public.users")[0] == 2
    assert db.logs(stuck)[-1]["source"] == "reconcile" and not db.logs(stuck)[-1]["success"]
    assert {p for _, p, _ in db.drift()} == {"missing", "failed"}
    stop_rejecting(db)
    assert db.one("select nura.reconcile()")[0] == 1
    assert db.drift() == []


STALE_USERS = """
insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
    created_at, updated_at, email_confirmed_at, last_sign_in_at, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    %(kind)s || i || '@example.com', '{}', '{}', '2026-01-01', '2026-01-01',
    case when i %% 2 = 0 then timestamptz '2026-01-02' end, '2026-01-03', false, false
from generate_series(1, %(n)s) i
"""
# what restores and hand edits leave: each auth-owned field drifted in some users, none in others
DRIFT = """
update public.users set email = case when n % 3 = 0 then 'old.' || email else email end,
       email_confirmed_at = case when n % 4 = 0 then null else email_confirmed_at end,
       last_sign_in_at = case when n % 5 <> 0 then timestamptz '2025-06-01' else last_sign_in_at end,
       phone_confirmed_at = case when n % 7 = 0 then timestamptz '2025-06-02' end
from (select id, regexp_replace(split_part(email, '@', 1), '\\D', '', 'g')::int as n from public.users) d
where d.id = users.id
"""
AUTH_OWNED = ["email", "email_confirmed_at", "phone_confirmed_at", "last_sign_in_at"]
USER_AND_LOG = """
select replace(u.email, %(kind)s, ''), to_jsonb(u) - 'id' - 'email' - 'updated_at' - 'created_at',
       array(select replace(jsonb_build_array(l.sync_type, l.source, l.success, l.before_data, l.after_data)::text,
                            %(kind)s, '')
             from public.user_sync_logs l where l.user_id = u.id and l.sync_type <> 'create' order by l.id)
from public.users u where u.email like '%%' || %(kind)s || '%%'
"""


def test_reconcile_repairs_stale_users_set_based_as_one_at_a_time(db):
    with db.connect("supabase_auth_admin") as conn:
        for kind in ("bulkrepair", "onerepair"):
            conn.execute(STALE_USERS, {"kind": kind, "n": 300})
    with db.connect("supabase_admin") as conn:
        conn.execute(DRIFT)
    with db.connect() as conn:  # one group repaired one user at a time, as the loop did before
        for (uid,) in conn.execute("select id from public.users where email like 'onerepair%'").fetchall():
            conn.execute("select nura.resync_auth_user(%s, 'reconcile', %s)", (uid, AUTH_OWNED))
    with db.connect() as conn:
        assert conn.execute("select nura.reconcile()").fetchone()[0] > 250
        one_at_a_time = conn.execute(
            "select coalesce(sum(calls), 0) from pg_stat_xact_user_functions where funcname = 'resync_auth_user'"
        ).fetchone()[0]
    assert one_at_a_time == 0
    by_set = {k: (u, logs) for k, u, logs in db.all(USER_AND_LOG, {"kind": "bulkrepair"})}
    by_one = {k: (u, logs) for k, u, logs in db.all(USER_AND_LOG, {"kind": "onerepair"})}
    assert len(by_set) == 300 and by_set == by_one
    assert sum(1 for _, logs in by_set.values() if logs) > 250  # each repair logged, naming what changed
    assert db.drift() == []


def test_a_stale_user_whose_repair_fails_fails_alone(db):
    with db.connect("supabase_auth_admin") as conn:
        conn.execute(STALE_USERS, {"kind": "stale", "n": 50})
    with db.connect("supabase_admin") as conn:
        conn.execute("update public.users set email = 'old.' || email")
    _break_sync_for(db, "stale7@example.com")
    assert db.one("select nura.reconcile()")[0] == 49
    assert db.one("select count(*) from public.users where email like 'old.%'")[0] == 1
    failed = db.all(
        "select u.email from public.user_sync_logs l join public.users u on u.id = l.user_id where not l.success"
    )
    assert failed == [("old.stale7@example.com",)]
    stop_rejecting(db)
    assert db.one("select nura.reconcile()")[0] == 1
    assert db.drift() == []


def _waits_for_a_lock(db, pid: int) -> bool:
    for _ in range(200):
        if db.one("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s", (pid,))[0]:
            return True
        time.sleep(0.05)
    return False


def _repair_users_while_locked(db, ids: list, locker: psycopg.Connection, meanwhile) -> list:
    """nura.repair_users(ids), started while `locker` holds a row it needs; once it waits for that
    lock, `meanwhile(locker)` runs and the locker commits. Returns what it returned, if it did."""
    started, returned = [], []

    def repair() -> None:
        with psycopg.connect(db.url()) as conn:
            started.append(conn.info.backend_pid)
            returned.append(conn.execute("select nura.repair_users(%s::uuid[])", (ids,)).fetchone()[0])

    repairer = threading.Thread(target=repair)
    repairer.start()
    while not started and repairer.is_alive():
        time.sleep(0.01)
    assert started and _waits_for_a_lock(db, started[0])
    meanwhile(locker)
    locker.commit()
    locker.close()
    repairer.join(timeout=30)
    return returned


def test_reconcile_locks_the_users_it_repairs_in_id_order(db):
    """A purge locks its users in id order; so does reconcile, whichever way each is repaired (a
    stale one set-based, a failed one alone), so neither ever waits for the other in a cycle."""
    with db.connect("supabase_auth_admin") as conn:
        conn.execute(STALE_USERS, {"kind": "order", "n": 3})
    a, b, c = [str(uid) for (uid,) in db.all("select id from public.users order by id")]
    with db.connect("supabase_admin") as conn:  # a and c stale
        conn.execute("update public.users set last_sign_in_at = '2025-06-01' where id in (%s, %s)", (a, c))
    reject_in_users(db, sql.SQL("id = {} and last_sign_in_at > '2026-06-01'").format(sql.Literal(b)))
    with db.connect("supabase_auth_admin") as conn:  # b failed
        conn.execute("update users set last_sign_in_at = now() where id = %s", (b,))
    stop_rejecting(db)
    locker = psycopg.connect(db.url())  # as a purge: a first, then b
    locker.execute("select from public.users where id = %s for update", (a,))

    def lock_b(conn: psycopg.Connection) -> None:
        conn.execute("select from public.users where id = %s for update", (b,))  # no deadlock

    assert _repair_users_while_locked(db, [a, b, c], locker, lock_b) == [3]
    assert db.drift() == []


def test_a_stale_user_deleted_while_reconcile_waits_is_tombstoned(db):
    """Deleted in auth behind our triggers' back while reconcile waits for the row: it is
    repaired as the one-by-one repair would, tombstoned, not left live."""
    with db.connect("supabase_auth_admin") as conn:
        conn.execute(STALE_USERS, {"kind": "gone", "n": 1})
    (uid,) = db.one("select id from public.users")
    with db.connect("supabase_admin") as conn:
        conn.execute("update public.users set last_sign_in_at = '2025-06-01' where id = %s", (uid,))
    locker = psycopg.connect(db.url("supabase_admin"))
    locker.execute("select from public.users where id = %s for update", (uid,))

    def delete_in_auth(conn: psycopg.Connection) -> None:
        conn.execute("set local session_replication_role = replica")
        conn.execute("update auth.users set deleted_at = now() where id = %s", (uid,))

    assert _repair_users_while_locked(db, [uid], locker, delete_in_auth) == [1]
    assert db.one("select deleted_at is not null, email from public.users where id = %s", (uid,)) == (True, None)
    assert db.drift() == []


def test_repairing_a_failure_keeps_profile_edits_made_since(db):
    uid = db.auth.email_signup("edited@example.com", {"full_name": "Auth Name"})
    _break_sync_for(db, "edited-new@example.com")
    db.auth.update_metadata(uid, {"avatar_url": "https://img.example/new.png"})
    db.auth.request_email_change(uid, "edited-new@example.com")
    db.auth.confirm_email_change(uid)  # fails: the email change and nothing else is lost
    with db.connect() as conn:  # a profile edit on our side, logged like the SQL API logs it
        conn.execute("update public.users set full_name = 'Edited In App' where id = %s", (uid,))
        conn.execute(
            "insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)"
            " values (%s, 'profile_update', 'backend_api', '{\"full_name\": \"Auth Name\"}',"
            ' \'{"full_name": "Edited In App"}\', true)',
            (uid,),
        )
    stop_rejecting(db)
    assert db.one("select nura.reconcile()")[0] == 1
    user = db.user(uid)
    assert user["email"] == "edited-new@example.com"
    assert user["full_name"] == "Edited In App"  # written after the failure: the last write wins
    assert user["avatar_url"] == "https://img.example/new.png"
    assert db.drift() == []


def test_deleting_a_user_erases_their_error_messages(db):
    with db.connect() as conn:
        conn.execute(
            "create function public.loud() returns trigger language plpgsql as"
            " $$ begin raise exception 'refusing %', new.email; end $$"
        )
        conn.execute("create trigger loud before update on public.users for each row execute function public.loud()")
    uid = db.auth.email_signup("quoted@example.com")
    db.auth.sign_in(uid)
    assert "quoted@example.com" in str(db.logs(uid))
    with db.connect() as conn:
        conn.execute("drop trigger loud on public.users")
    db.auth.hard_delete(uid)
    assert "quoted@example.com" not in str(db.logs(uid))
    assert [log["sync_type"] for log in db.logs(uid)] == ["delete"]  # the failure's row went with the rest


def test_reconcile_running_beside_auth_writes_never_goes_back_in_time(db):
    ids = [db.auth.email_signup(f"r{i}@example.com") for i in range(20)]
    with db.connect("supabase_admin") as conn:  # make every one of them stale and some missing
        conn.execute("update public.users set email_confirmed_at = null")
        conn.execute("delete from public.users where email like 'r1%'")
    stop = threading.Event()
    errors = []

    def auth_writer() -> None:
        try:
            n = 0
            while not stop.is_set():
                db.auth.update_metadata(ids[n % len(ids)], {"full_name": f"N{n}"})
                db.auth.sign_in(ids[(n * 7) % len(ids)])
                n += 1
        except Exception as e:
            errors.append(e)

    writers = [threading.Thread(target=auth_writer) for _ in range(3)]
    for t in writers:
        t.start()
    for _ in range(5):
        db.one("select nura.reconcile()")
    stop.set()
    for t in writers:
        t.join()
    assert errors == []
    db.one("select nura.reconcile()")
    assert db.drift() == []
    for uid in ids:
        auth = db.one(
            "select raw_user_meta_data ->> 'full_name', last_sign_in_at from auth.users where id = %s", (uid,)
        )
        user = db.user(uid)
        assert (user["full_name"], user["last_sign_in_at"]) == auth


def test_reconcile_waits_for_a_concurrent_purge_and_never_resurrects(db):
    with db.connect("supabase_admin") as conn:  # users the triggers never saw
        conn.execute("set session_replication_role = replica")
        conn.execute("set search_path = auth")
        ids = [str(uuid.uuid4()) for _ in range(4)]
        for uid in ids:
            Transaction(conn).insert_user(id=uid, is_anonymous=True)
    purge = psycopg.connect(db.url("supabase_auth_admin"))
    purge.execute("delete from users where id = any(%s::uuid[])", (ids[:2],))  # not committed yet
    result = []
    reconciler = threading.Thread(target=lambda: result.append(db.one("select nura.reconcile()")[0]))
    reconciler.start()
    reconciler.join(timeout=1)
    assert reconciler.is_alive()  # waits for the purge instead of creating rows under it
    purge.commit()
    purge.close()
    reconciler.join(timeout=30)
    assert result == [2]
    assert sorted(str(r[0]) for r in db.all("select id from public.users")) == sorted(ids[2:])
    assert db.drift() == []


def test_a_column_type_changed_under_an_open_auth_connection_fails_none_of_its_writes(db):
    """Auth's connections outlive its migrations: a type change must not break the next sign-in
    on a connection whose plans were made before it."""
    uid = db.auth.email_signup("long-lived@example.com", {"full_name": "Long Lived"})
    with psycopg.connect(db.url("supabase_auth_admin"), autocommit=True) as auth:
        auth.execute("update users set last_sign_in_at = now(), updated_at = now() where id = %s", (uid,))
        with psycopg.connect(db.url("supabase_auth_admin"), autocommit=True) as migration:
            migration.execute("alter table users alter column phone type varchar(32)")
        for _ in range(20):
            auth.execute(
                "update users set last_sign_in_at = clock_timestamp(), updated_at = clock_timestamp() where id = %s",
                (uid,),
            )
        signed_in = auth.execute("select last_sign_in_at from users where id = %s", (uid,)).fetchone()[0]
    assert db.user(uid)["last_sign_in_at"] == signed_in
    assert all(log["success"] for log in db.logs(uid)) and db.drift() == []


def test_repairing_a_failed_sign_in_reverts_no_profile_edit_made_before_it(db):
    uid = db.auth.email_signup(
        "editor@example.com", {"full_name": "Signup Name", "avatar_url": "https://img.example/signup.png"}
    )
    with db.connect() as conn:  # the user's own edits, through the API
        conn.execute('select nura.update_profile(%s, \'{"full_name": "My Own Name", "avatar_url": null}\')', (uid,))
        conn.execute(
            "create function public.refuse_sign_ins() returns trigger language plpgsql as"
            " $$ begin raise exception 'no sign-ins today'; end $$"
        )
        conn.execute(
            "create trigger refuse_sign_ins before update on public.users for each row"
            " when (new.last_sign_in_at is distinct from old.last_sign_in_at)"
            " execute function public.refuse_sign_ins()"
        )
    db.auth.sign_in(uid)  # its sync fails; the sign-in changed no profile field
    assert {p for _, p, _ in db.drift()} == {"stale", "failed"}
    assert [log["after_data"] for log in db.logs(uid) if not log["success"]] == [{"last_sign_in_at": None}]
    with db.connect() as conn:
        conn.execute("drop trigger refuse_sign_ins on public.users")
    assert db.one("select nura.reconcile()")[0] == 1
    user = db.user(uid)
    assert (user["full_name"], user["avatar_url"]) == ("My Own Name", None)
    assert user["last_sign_in_at"] == db.one("select last_sign_in_at from auth.users where id = %s", (uid,))[0]
    assert db.drift() == []


def _sign_in_syncs(conn: psycopg.Connection, uid: str) -> dict[str, int]:
    """Opens a session for the user in this transaction, as Auth does, and says which syncs ran."""
    Transaction(conn).session(uid)
    conn.execute("set constraints all immediate")
    return dict(
        conn.execute(
            "select funcname, calls from pg_stat_xact_user_functions"
            " where schemaname = 'nura' and funcname in ('sync_sign_in', 'sync_auth_user')"
        ).fetchall()
    )


def test_a_sign_in_takes_the_short_path_and_logs_what_the_general_one_would(db):
    uid = db.auth.email_signup("quick@example.com", {"full_name": "Quick"})
    before = db.user(uid)
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        assert _sign_in_syncs(conn, uid) == {"sync_sign_in": 1}
    after = db.user(uid)
    assert after["last_sign_in_at"] > before["last_sign_in_at"] and after["updated_at"] > before["updated_at"]
    assert {k: v for k, v in after.items() if k not in ("last_sign_in_at", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("last_sign_in_at", "updated_at")
    }
    log = db.logs(uid)[-1]
    assert (log["sync_type"], log["source"], log["success"]) == ("update", "supabase_auth", True)
    assert set(log["before_data"]) == set(log["after_data"]) == {"last_sign_in_at"}
    with db.connect() as conn:  # the values as the general path renders them
        conn.execute("set timezone = 'UTC'")
        assert (log["before_data"], log["after_data"]) == conn.execute(
            "select jsonb_build_object('last_sign_in_at', %s::timestamptz),"
            " jsonb_build_object('last_sign_in_at', %s::timestamptz)",
            (before["last_sign_in_at"], after["last_sign_in_at"]),
        ).fetchone()
    assert db.drift() == []


@pytest.mark.parametrize(
    ("setup", "expected_sync_type"),
    [
        ("delete from public.users where id = %s", "create"),  # the row is missing: the general path creates it
        ("update public.users set origin = 'supabase_webhook' where id = %s", "update"),  # first synced by a webhook
    ],
)
def test_a_sign_in_the_short_path_cannot_sync_takes_the_general_path(db, setup, expected_sync_type):
    uid = db.auth.email_signup("around@example.com", {"full_name": "Around"})
    with db.connect() as conn:
        conn.execute(setup, (uid,))
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        assert _sign_in_syncs(conn, uid) == {"sync_sign_in": 1, "sync_auth_user": 1}
    user = db.user(uid)
    assert (user["origin"], user["full_name"]) == ("supabase_auth", "Around")
    assert db.logs(uid)[-1]["sync_type"] == expected_sync_type
    assert db.drift() == []


def test_two_sign_ins_in_one_transaction_leave_the_later(db):
    uid = db.auth.email_signup("twice@example.com")
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        Transaction(conn).session(uid)
        Transaction(conn).session(uid)
    assert db.user(uid)["last_sign_in_at"] == db.one("select last_sign_in_at from auth.users where id = %s", (uid,))[0]
    assert db.drift() == []


def test_a_sign_in_after_the_general_path_synced_a_later_value_changes_nothing_back(db):
    uid = db.auth.email_signup("order@example.com")
    logged = len(db.logs(uid))
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        auth = Transaction(conn)
        auth.update_user(uid, email="order2@example.com")  # the general path: the row at commit
        auth.update_user(uid, last_sign_in_at=clock())  # a sign-in, A to B
        auth.update_user(uid, email="order3@example.com", last_sign_in_at=clock())  # B to C with the email
    final = db.one("select email, last_sign_in_at from auth.users where id = %s", (uid,))
    assert (db.user(uid)["email"], db.user(uid)["last_sign_in_at"]) == final == ("order3@example.com", final[1])
    assert [sorted(log["after_data"]) for log in db.logs(uid)[logged:]] == [["email", "last_sign_in_at"]]
    assert db.drift() == []


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ("email = 'moved@example.com'", ["email"]),
        ("email_confirmed_at = null", ["email_confirmed_at"]),
        ("phone_confirmed_at = now()", ["phone_confirmed_at"]),
        ("last_sign_in_at = now()", ["last_sign_in_at"]),
        ("deleted_at = now()", ["deleted"]),
        ("email = 'both@example.com', last_sign_in_at = null", ["email", "last_sign_in_at"]),
        ('raw_user_meta_data = \'{"full_name": "Profile Field"}\'', None),  # either side may edit it
    ],
)
def test_the_drift_check_names_each_auth_owned_field_a_write_behind_its_back_changed(db, change, fields):
    uid = db.auth.email_signup("behind@example.com", {"full_name": "Before"})
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute(f"update auth.users set {change} where id = %s", (uid,))
    stale = [detail for user, problem, detail in db.drift() if problem == "stale" and str(user) == uid]
    assert stale == ([{"fields": fields}] if fields else [])
