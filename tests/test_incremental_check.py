"""The incremental drift check (nura.check_changes) finds what the full one finds when a write since
its last run caused it, among a few thousand users; a write that leaves no log row is found by the
next full check (nura.check_all), and from then on by the incremental one too. The counts it keeps
(nura.sync_metrics, nura.user_counts) equal the counts of the tables they stand for."""

from __future__ import annotations

import threading

import psycopg
import pytest

from tests.support.database import reject_in_users, stop_rejecting

SEEDED = 2000


@pytest.fixture
def seeded(db):
    """A few thousand users, and a first run of both checks: a clean start."""
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,"
            " created_at, updated_at, email_confirmed_at, is_sso_user, is_anonymous)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',"
            " 'seed' || i || '@example.com', '{}', '{}', now(), now(), now(), false, false"
            " from generate_series(1, %s) i",
            (SEEDED,),
        )
    assert _full(db) == set()
    assert _changes(db) == set()
    return db


def _changes(db) -> set[tuple[str, str]]:
    return {(str(u), p) for u, p, _ in db.all("select user_id, problem, detail from nura.check_changes()")}


def _full(db) -> set[tuple[str, str]]:
    return {(str(u), p) for u, p, _ in db.all("select user_id, problem, detail from nura.check_all()")}


def _consistency(db) -> set[tuple[str, str]]:
    return {(str(u), p) for u, p, _ in db.drift()}


def test_a_failed_signup_is_missing_and_failed(seeded):
    db = seeded
    reject_in_users(db, "email = 'victim@example.com'")
    victim = db.auth.email_signup("victim@example.com")
    assert _changes(db) == _consistency(db) == {(victim, "missing"), (victim, "failed")}
    stop_rejecting(db)
    db.one("select nura.reconcile()")
    assert _changes(db) == set()


def test_a_failed_update_is_stale_and_failed(seeded):
    db = seeded
    uid = db.auth.email_signup("before@example.com")
    reject_in_users(db, "email = 'after@example.com'")
    db.auth.request_email_change(uid, "after@example.com")
    db.auth.confirm_email_change(uid, secure=False)
    assert _changes(db) == _consistency(db) == {(uid, "stale"), (uid, "failed")}
    detail = next(d for u, p, d in db.all("select * from nura.check_changes()") if p == "stale")
    assert detail == {"fields": ["email"]}


def test_a_failed_deletion_leaves_an_orphan(seeded):
    db = seeded
    uid = db.auth.email_signup("leaving@example.com")
    reject_in_users(db, f"id = '{uid}' and deleted_at is not null")
    db.auth.hard_delete(uid)
    assert _changes(db) == _consistency(db) == {(uid, "orphaned"), (uid, "failed")}
    stop_rejecting(db)
    db.one("select nura.reconcile()")
    assert _changes(db) == set()


def test_missing_triggers_and_blocked_adoptions_are_read_where_they_live(seeded):
    db = seeded
    with db.connect("supabase_admin") as conn:
        conn.execute("alter table auth.users disable trigger tg_auth_users__sync_update")
    assert {p for _, p in _changes(db)} == {"trigger_missing"}
    with db.connect("supabase_admin") as conn:
        conn.execute("alter table auth.users enable trigger tg_auth_users__sync_update")
    assert _changes(db) == set()


def test_a_write_that_leaves_no_log_row_waits_for_the_full_check(seeded):
    db = seeded
    uid = db.auth.email_signup("restored@example.com")
    for _ in range(2):  # the runs that look at the signup and move past it
        assert _changes(db) == set()
    with db.connect("supabase_admin") as conn:  # as a restore does: our triggers do not fire
        conn.execute("set session_replication_role = replica")
        conn.execute("update auth.users set email = 'behind@example.com' where id = %s", (uid,))
    assert _changes(db) == set()
    assert _full(db) == {(uid, "stale")}
    assert _changes(db) == {(uid, "stale")}  # known from the full check, until repaired
    db.one("select nura.reconcile()")
    assert _changes(db) == set()


def test_a_known_problem_that_goes_away_unlogged_is_dropped_in_turn(seeded):
    db = seeded
    uids = [db.auth.email_signup(f"turn{i}@example.com") for i in range(3)]
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("update auth.users set email = 'x' || email where id = any(%s::uuid[])", (uids,))
    assert _full(db) == {(u, "stale") for u in uids}
    with db.connect("supabase_admin") as conn:  # put back by hand: no log row says so
        conn.execute("set session_replication_role = replica")
        conn.execute("update auth.users set email = substr(email, 2) where id = any(%s::uuid[])", (uids,))
    assert _changes(db) == set()


def test_what_it_reads_is_what_was_written_since(seeded):
    db = seeded
    db.one("select count(*) from nura.check_changes()")
    checked = db.one("select checked_through from nura.check_state")[0]
    db.auth.email_signup("new@example.com")
    db.one("select count(*) from nura.check_changes()")
    db.one("select count(*) from nura.check_changes()")
    after = db.one("select checked_through from nura.check_state")[0]
    assert after > checked and after == db.one("select max(id) from public.user_sync_logs")[0]


def test_a_transaction_open_across_runs_holds_the_watermark_back(seeded):
    """A log row with an id below a committed one can still appear while its transaction is open:
    neither the check nor the count moves past it until that transaction has ended."""
    db = seeded
    uid = db.auth.email_signup("slow@example.com")
    db.one("select count(*) from nura.check_changes()")
    reject_in_users(db, "email = 'late@example.com'")
    slow = psycopg.connect(db.url())
    slow.execute('select nura.update_profile(%s, \'{"bio": "writing"}\')', (uid,))  # draws a log id, stays open
    db.auth.email_signup("quick@example.com")  # a later id, committed
    for _ in range(3):
        db.one("select count(*) from nura.check_changes()")
    held = db.one("select checked_through, counted_through from nura.check_state")
    slow_log = slow.execute("select max(id) from public.user_sync_logs where user_id = %s", (uid,)).fetchone()[0]
    assert held[0] < slow_log and held[1] < slow_log
    slow.commit()
    slow.close()
    for _ in range(2):
        db.one("select count(*) from nura.check_changes()")
    assert db.one("select counted_through from nura.check_state")[0] >= slow_log
    _totals_are_the_tables(db)


def _totals_are_the_tables(db) -> None:
    direct = {
        s: (n, ok)
        for s, n, ok in db.all(
            "select source, count(*), count(*) filter (where success) from public.user_sync_logs group by source"
        )
    }
    removed = dict(db.all("select source, sum(removed) from nura.sync_log_removed group by source"))
    counted = {s: (t, ok) for s, t, ok in db.all("select source, total, succeeded from nura.sync_metrics")}
    assert set(counted) >= set(direct)
    for source, (total, _) in counted.items():
        assert total >= direct.get(source, (0, 0))[0] + removed.get(source, 0)
    users = {o: (live, dead) for o, live, dead in db.all("select origin, live, deleted from nura.user_counts")}
    assert users == {
        o: (live, dead)
        for o, live, dead in db.all(
            "select origin, count(*) filter (where deleted_at is null), count(*) filter (where deleted_at is not null)"
            " from public.users group by origin"
        )
    }


def test_the_counts_follow_signups_deletions_purges_and_erasures(seeded):
    db = seeded
    before = {s: t for s, t in db.all("select source, total from nura.sync_metrics")}
    uids = [db.auth.email_signup(f"c{i}@example.com") for i in range(5)]
    db.auth.soft_delete(uids[0])
    db.auth.hard_delete(uids[1])
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("delete from users where email like 'seed1%%@example.com'")  # a purge of a thousand and more
    with db.connect() as conn:  # a deletion counts its own rows; a later write in its transaction is counted
        conn.execute("select nura.tombstone_users(%s, 'reconcile')", ([uids[2]],))
        conn.execute("update public.users set origin = 'backend_api' where id = %s", (uids[3],))
    _totals_are_the_tables(db)
    for _ in range(3):
        db.one("select count(*) from nura.check_changes()")
        _totals_are_the_tables(db)
    after = {s: t for s, t in db.all("select source, total from nura.sync_metrics")}
    assert after["supabase_auth"] > before["supabase_auth"]
    # folded: one row per origin, however many signups and deletions there were
    assert db.one("select count(*) from nura.user_count_changes")[0] == len(db.all("select from nura.user_counts"))


def test_erasures_beside_the_count_never_count_a_row_twice(seeded):
    db = seeded
    uids = [db.auth.email_signup(f"e{i}@example.com") for i in range(40)]
    written = db.one("select count(*) from public.user_sync_logs")[0]
    stop = threading.Event()

    def check():
        with psycopg.connect(db.url(), autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("select count(*) from nura.check_changes()")

    checker = threading.Thread(target=check)
    checker.start()
    try:
        for uid in uids:
            db.auth.hard_delete(uid)  # erases the user's log rows but the deletion's own
    finally:
        stop.set()
        checker.join()
    for _ in range(2):
        db.one("select count(*) from nura.check_changes()")
    total = db.one("select sum(total) from nura.sync_metrics")[0]
    assert total == written + len(uids)  # every row ever written once, each deletion's row too
    assert db.one("select count(*) from nura.sync_log_removed")[0] == 0


def test_a_deleted_person_leaves_no_recorded_problem(seeded):
    db = seeded
    reject_in_users(db, "email = 'erased@example.com'")
    uid = db.auth.email_signup("erased@example.com")
    assert (uid, "failed") in _changes(db)
    stop_rejecting(db)
    db.auth.hard_delete(uid)
    assert db.one("select count(*) from nura.drift_problems where user_id = %s", (uid,))[0] == 0


def test_a_truncate_starts_the_users_count_again(seeded):
    db = seeded
    with db.connect() as conn:
        conn.execute("truncate public.users cascade")
    assert db.all("select * from nura.user_counts") == []
    db.auth.email_signup("after@example.com")
    assert db.all("select origin, live, deleted from nura.user_counts") == [("supabase_auth", 1, 0)]


def test_a_restore_with_our_triggers_off_is_counted_and_checked_by_the_full_check(seeded):
    db = seeded
    with db.connect("supabase_admin") as conn:  # as a restore loads a backup: our triggers off
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from public.users where email like 'seed1%%'")
        conn.execute("select setval('public.user_sync_logs_id_seq', 1)")
        conn.execute("delete from public.user_sync_logs where id > 1")
    assert db.one("select sum(live) from nura.user_counts")[0] == SEEDED  # nothing told the count
    missing = {(u, p) for u, p in _full(db) if p == "missing"}
    assert len(missing) == 1111 and db.one("select sum(live) from nura.user_counts")[0] == SEEDED - 1111
    assert db.one("select checked_through <= 1 and counted_through <= 1 from nura.check_state")[0]
    uid = db.auth.email_signup("after-restore@example.com")
    for _ in range(2):
        db.one("select count(*) from nura.check_changes()")
    assert db.one("select total from nura.sync_metrics where source = 'supabase_auth'")[0] >= 2
    assert uid in {str(u) for (u,) in db.all("select user_id from public.user_sync_logs")}


def test_rolling_the_count_back_keeps_the_totals(db, run):
    for i in range(3):
        db.auth.hard_delete(db.auth.email_signup(f"gone{i}@example.com"))
    for _ in range(2):
        db.one("select count(*) from nura.check_changes()")
    assert db.one("select count(*) from nura.sync_log_removed")[0] == 0  # folded into the count
    totals = db.all("select source, total, succeeded, failed from nura.sync_metrics order by 1")
    assert [run(db, "rollback")[0] for _ in range(3)] == [0, 0, 0]  # the migrations after it
    assert run(db, "rollback")[1] == "rolled back: 0009.incremental-check\n"
    assert db.all("select source, total, succeeded, failed from nura.sync_metrics order by 1") == totals


def test_the_incremental_check_outside_read_committed_is_refused(db):
    with psycopg.connect(db.url()) as conn:
        conn.execute("set transaction isolation level repeatable read")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="the incremental check needs a read committed"):
            conn.execute("select count(*) from nura.check_changes()")
