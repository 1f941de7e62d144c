"""`nura-users prune`: old sync-log rows go in short batches, what the drift check and reconcile
still need stays, and the sync's counts never go down."""

from __future__ import annotations

import psycopg
import pytest


def age_logs(db, days: int) -> None:
    with db.connect() as conn:
        conn.execute("update public.user_sync_logs set created_at = now() - make_interval(days => %s)", (days,))


def totals(db) -> dict:
    return {
        s: (t, ok, bad) for s, t, ok, bad in db.all("select source, total, succeeded, failed from nura.sync_metrics")
    }


def test_prune_deletes_old_rows_keeps_new_ones_and_counts_stay(db, run):
    old = [db.auth.email_signup(f"old{i}@example.com") for i in range(3)]
    age_logs(db, 40)
    new = db.auth.email_signup("new@example.com")
    counted = totals(db)
    code, out, err = run(db, "prune", "--older-than", "30", "--yes")
    assert (code, err) == (0, "")
    assert out == "pruned 6 sync-log row(s) older than 30 days\n"  # each signup: its create and its sign-in
    assert all(db.logs(uid) == [] for uid in old) and len(db.logs(new)) == 2
    assert totals(db) == counted  # /metrics' nura_sync_events is a counter
    assert db.drift() == []
    assert run(db, "prune", "--older-than", "30", "--yes")[1] == "pruned 0 sync-log row(s) older than 30 days\n"


def test_prune_keeps_what_reconcile_needs_until_it_has_repaired(db, run):
    uid = db.auth.email_signup("breaks@example.com")
    with db.connect() as conn:  # a sign-in whose sync fails, then one that syncs
        conn.execute(
            "alter table public.users add constraint injected_fault check (last_sign_in_at < '2000-01-01') not valid"
        )
    db.auth.sign_in(uid)
    with db.connect() as conn:
        conn.execute("alter table public.users drop constraint injected_fault")
    with db.connect() as conn:
        conn.execute('select nura.update_profile(%s, \'{"full_name": "Edited"}\')', (uid,))
    other = db.auth.email_signup("fine@example.com")
    age_logs(db, 40)
    kept = [(log["sync_type"], log["success"]) for log in db.logs(uid)]
    # since the create (their last full sync): the signup's sign-in, the failure, the edit
    assert kept == [("create", True), ("update", True), ("update", False), ("profile_update", True)]
    drift = db.drift()
    run(db, "prune", "--older-than", "30", "--yes")
    assert [(log["sync_type"], log["success"]) for log in db.logs(uid)] == kept
    assert db.logs(other) == []
    assert db.drift() == drift
    assert db.one("select nura.reconcile()")[0] == 1
    assert db.user(uid)["full_name"] == "Edited" and db.drift() == []
    age_logs(db, 40)
    run(db, "prune", "--older-than", "30", "--yes")  # the failure goes; the repair stays while it was there
    assert [log["sync_type"] for log in db.logs(uid)] == ["reconcile", "reconcile"] and db.drift() == []
    run(db, "prune", "--older-than", "30", "--yes")
    assert db.logs(uid) == [] and db.drift() == []


def test_prune_walks_the_log_in_batches_and_a_cut_short_run_carries_on(db):
    for i in range(5):
        db.auth.email_signup(f"b{i}@example.com")
    age_logs(db, 40)
    db.auth.email_signup("recent@example.com")
    with db.connect("postgres") as conn:
        before = conn.execute("select now() - interval '30 days'").fetchone()[0]
        last, deleted = conn.execute("select * from nura.prune_sync_logs(%s, 0, 3)", (before,)).fetchone()
        assert deleted == 3 and last is not None  # then the run is killed; the next starts over
        steps, after = 0, 0
        while after is not None:
            after, _ = conn.execute("select * from nura.prune_sync_logs(%s, %s, 3)", (before, after)).fetchone()
            steps += 1
    assert db.one("select count(*) from public.user_sync_logs")[0] == 2 and steps == 3


def test_prune_without_yes_counts_what_it_would_prune_and_deletes_nothing(db, run):
    db.auth.email_signup("kept@example.com")
    age_logs(db, 40)
    assert run(db, "prune", "--older-than", "30") == (
        0,
        "2 sync-log row(s) older than 30 days would be pruned; pass --yes to prune them\n",
        "",
    )
    assert db.one("select count(*) from public.user_sync_logs")[0] == 2


def test_erasing_a_user_keeps_the_sync_counts_and_the_check_folds_them(db, run):
    uids = [db.auth.email_signup(f"gone{i}@example.com") for i in range(4)]
    counted = totals(db)
    for uid in uids[:3]:
        db.auth.hard_delete(uid)
    deletions = 3
    expected = (counted["supabase_auth"][0] + deletions, counted["supabase_auth"][1] + deletions, 0)
    assert totals(db)["supabase_auth"] == expected
    assert db.one("select count(*) from nura.sync_log_removed")[0] == 3  # one row per erasure: no shared counter
    for _ in range(2):  # the first run marks where the log ends, the second counts up to there
        db.one("select count(*) from nura.check_changes()")
    assert db.one("select count(*) from nura.sync_log_removed")[0] == 0
    assert (
        db.one("select counted_through from nura.check_state")[0]
        == db.one("select max(id) from public.user_sync_logs")[0]
    )
    assert totals(db)["supabase_auth"] == expected
    db.auth.hard_delete(uids[3])  # what it erases is counted already: nothing more to note
    assert db.one("select count(*) from nura.sync_log_removed")[0] == 0
    assert totals(db)["supabase_auth"] == (expected[0] + 1, expected[1] + 1, 0)
    run(db, "prune", "--older-than", "30", "--yes")
    assert totals(db)["supabase_auth"] == (expected[0] + 1, expected[1] + 1, 0)


def test_prune_keeps_the_values_imported_people_replaced_while_a_legacy_table_is_there(db, run):
    uid = db.auth.email_signup("imported@example.com", {"full_name": "Imported"})
    other = db.auth.email_signup("native@example.com")
    with db.connect() as conn:
        conn.execute(
            "insert into nura.legacy_user_map (legacy_table, legacy_id, user_id) values ('chat_users', %s, %s)",
            (uid, uid),
        )
        conn.execute("create table public.chat_users (id uuid primary key, email text)")
        conn.execute('select nura.update_profile(%s, \'{"full_name": "Renamed"}\')', (uid,))
    age_logs(db, 40)
    run(db, "prune", "--older-than", "30", "--yes")
    # legacy verify reads the row that replaced a value; the create and the sign-in go
    assert [log["sync_type"] for log in db.logs(uid)] == ["profile_update"] and db.logs(other) == []
    with db.connect() as conn:
        conn.execute("drop table public.chat_users")
    run(db, "prune", "--older-than", "30", "--yes")
    assert db.logs(uid) == []


@pytest.mark.parametrize(
    "args", [["--older-than", "0"], ["--older-than", "a week"], ["--older-than", "99999999999"], ["--yes"]]
)
def test_prune_bad_arguments_are_one_line(db, run, args):
    with pytest.raises(SystemExit) as exit:
        run(db, "prune", *args)
    assert exit.value.code == 2


@pytest.mark.parametrize(("before", "limit"), [("infinity", 10), ("2020-01-01", 0), (None, 10)])
def test_prune_function_refuses_bad_input(db, before, limit):
    with db.connect() as conn, pytest.raises(psycopg.Error) as error:
        conn.execute("select * from nura.prune_sync_logs(%s::timestamptz, 0, %s)", (before, limit))
    assert error.value.sqlstate == "PT400"
