"""A deleted person leaves nothing behind: however they are deleted (Auth's hard or soft delete, a
webhook, reconcile), and whatever commits while the deletion waits, no personal value of theirs
is left in public.users, their service profiles, the sync log or the legacy import's tables, and
nothing later writes one back."""

from __future__ import annotations

import json
import threading
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from glue.legacy import import_legacy
from tests.support import legacy_data
from tests.support.database import reject_in_users

# What a tombstone may still hold: its id, where it came from, and when it existed.
BOOKKEEPING = {"id", "origin", "created_at", "updated_at", "deleted_at", "is_active"}
EMPTY = (None, 0, {}, False)


def _assert_nothing_personal(db, user_id: str, *secrets: str) -> None:
    user = db.user(user_id)
    assert user is not None and user["deleted_at"] is not None
    held = {k: v for k, v in user.items() if k not in BOOKKEEPING and v not in EMPTY}
    assert held == {}, held
    everything = json.dumps(
        [db.logs(user_id), db.all("select * from public.user_service_profiles where user_id = %s", (user_id,))],
        default=str,
    )
    for secret in secrets:
        assert secret not in everything
    # not even when: one log row per sign-in would tell when the person signed in
    assert [log["sync_type"] for log in db.logs(user_id)] == ["delete"]


def _split_backend_user(db, email: str, name: str) -> str:
    """A user as a webhook from another Supabase database first delivers them."""
    uid = db.auth.email_signup(email, {"full_name": name})
    record = db.auth_row(uid)
    db.become_split_backend()
    db.one("select nura.sync_from_auth(%s, null, 'INSERT', 'supabase_webhook')", (Jsonb(record),))
    return uid


@pytest.mark.parametrize("how", ["webhook delete", "webhook soft delete", "auth hard delete", "auth soft delete"])
def test_a_deleted_user_leaves_a_tombstone_holding_nothing_personal(db, how):
    if how.startswith("webhook"):
        uid = _split_backend_user(db, "wendy@example.com", "Wendy Secret")
        record = db.auth_row(uid)
        if how == "webhook delete":
            db.one("select nura.sync_from_auth(null, %s, 'DELETE', 'supabase_webhook')", (Jsonb(record),))
        else:
            db.auth.soft_delete(uid)
            db.one("select nura.sync_from_auth(%s, null, 'UPDATE', 'supabase_webhook')", (Jsonb(db.auth_row(uid)),))
    else:
        uid = db.auth.email_signup("wendy@example.com", {"full_name": "Wendy Secret"})
        with db.connect() as conn:
            conn.execute(
                'select nura.update_backend_fields(%s, \'{"xp": 40, "current_streak": 3,'
                ' "last_active_at": "2026-01-01T00:00:00Z"}\')',
                (uid,),
            )
            conn.execute('select nura.update_profile(%s, \'{"bio": "a bio", "privacy_settings": {"x": 1}}\')', (uid,))
        (db.auth.hard_delete if how == "auth hard delete" else db.auth.soft_delete)(uid)
    _assert_nothing_personal(db, uid, "wendy@example.com", "Wendy Secret", "a bio")
    assert db.one("select nura.get_user(%s) ->> 'auth_fields'", (uid,))[0] is None
    assert db.drift() == []


def test_someone_whose_first_sync_failed_leaves_no_log_row_when_deleted(db):
    reject_in_users(db, "email = 'never@example.com'")
    uid = db.auth.email_signup("never@example.com")
    assert db.user(uid) is None and db.logs(uid) != []
    db.auth.hard_delete(uid)
    assert db.logs(uid) == []


def test_the_table_itself_refuses_a_tombstone_holding_anything_personal(db):
    uid = db.auth.email_signup("tomb@example.com")
    db.auth.hard_delete(uid)
    for column, value in (
        ("last_sign_in_at", "now()"),
        ("email_confirmed_at", "now()"),
        ("xp", "5"),
        ("current_streak", "1"),
        ("last_active_at", "now()"),
        ("auth_fields", "'{}'"),
    ):
        with pytest.raises(psycopg.errors.CheckViolation):
            db.one(f"update public.users set {column} = {value} where id = %s returning id", (uid,))


def test_a_write_that_commits_while_the_delete_waits_is_erased_too(db):
    uid = db.auth.email_signup("racer@example.com", {"full_name": "Racer"})
    writer = psycopg.connect(db.url())
    writer.execute('select nura.update_profile(%s, \'{"bio": "written while the delete waited"}\')', (uid,))
    deletion = threading.Thread(target=db.auth.hard_delete, args=(uid,))
    deletion.start()
    deletion.join(timeout=1)
    assert deletion.is_alive()  # waits for the writer's row lock
    writer.commit()
    writer.close()
    deletion.join(timeout=30)
    _assert_nothing_personal(db, uid, "written while the delete waited", "Racer", "racer@example.com")


def test_service_profiles_and_their_log_values_are_erased(db):
    uid = db.auth.email_signup("caller@example.com", {"full_name": "Caller"})
    with db.connect() as conn:
        conn.execute(
            "select nura.set_service_metadata(%s, 'voice', '{\"call_history\": [\"+15550001111 at noon\"]}')", (uid,)
        )
        conn.execute("select nura.set_service_preferences(%s, 'chat', '{\"tone\": \"secret tone\"}')", (uid,))
        conn.execute("select nura.touch_service(%s, 'memory')", (uid,))
    db.auth.hard_delete(uid)
    _assert_nothing_personal(db, uid, "+15550001111", "secret tone")
    assert db.all("select * from public.user_service_profiles where user_id = %s", (uid,)) == []
    for call in ("nura.get_service_profile(%s, 'voice')", "nura.get_user_for_voice(%s)", "nura.get_user_for_chat(%s)"):
        assert db.one(f"select {call}", (uid,))[0] is None  # as for an unknown user
    assert db.one("select nura.get_user(%s) ->> 'deleted_at'", (uid,))[0] is not None  # the tombstone


@pytest.fixture
def legacy_db(db):
    with db.connect() as conn:
        legacy_data.create_tables(conn)
    return db


@pytest.mark.parametrize("delete", ["hard", "soft"])
def test_an_import_after_a_deletion_writes_nothing_of_theirs_back(legacy_db, delete):
    db = legacy_db
    uid = db.auth.email_signup("gone@example.com", {"full_name": "Gone Person"})
    with db.connect() as conn:  # the legacy system used the auth ids
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    uid,
                    "gone@example.com",
                    "Legacy Gone",
                    "+44 20 7946 0999",
                    "$2b$h",
                    {"show": True},
                    {"email": True},
                    True,
                    "2023-01-01T00:00:00Z",
                )
            ],
        )
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM, [(uid, "Custom Gone", 5, 99)])
    (db.auth.hard_delete if delete == "hard" else db.auth.soft_delete)(uid)
    import_legacy(db.url(), batch_size=10, dry_run=False)
    _assert_nothing_personal(db, uid, "Legacy Gone", "+442079460999", "Custom Gone")
    assert db.all("select * from nura.legacy_conflicts where user_id = %s", (uid,)) == []
    assert db.one("select count(*) from nura.legacy_rows")[0] == 0


def test_a_failed_import_leaves_no_staged_rows(legacy_db):
    db = legacy_db
    with db.connect() as conn:
        legacy_data.load(conn, legacy_data.messy(seed=5, people=60, auth_emails=[]))

    with pytest.raises(legacy_data.Interrupted):
        import_legacy(db.url(), batch_size=10, dry_run=False, progress=legacy_data.interrupt_after(1))
    assert db.one("select count(*) from nura.legacy_rows")[0] == 0


def test_a_deletion_during_an_import_removes_the_persons_staged_rows(legacy_db):
    db = legacy_db
    uid = db.auth.email_signup("staged@example.com", {"full_name": "Staged"})
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [
                (
                    uuid.uuid4(),
                    "Staged Voice",
                    "staged@example.com",
                    "+33 1 23 45 67 00",
                    "$2b$h",
                    "2023-01-01T00:00:00Z",
                    None,
                    None,
                )
            ],
        )
    with psycopg.connect(db.url(), autocommit=True) as conn:
        with conn.transaction():
            conn.execute("set transaction isolation level repeatable read")
            conn.execute("select nura.legacy_prepare(10)")
        assert conn.execute("select count(*) from nura.legacy_rows where person_id = %s", (uid,)).fetchone()[0] == 1
        db.auth.hard_delete(uid)
        assert conn.execute("select count(*) from nura.legacy_rows where person_id = %s", (uid,)).fetchone()[0] == 0


def test_a_deletion_outside_read_committed_is_refused_not_half_done(db):
    uid = db.auth.email_signup("isolated@example.com")
    record = db.auth_row(uid)
    with psycopg.connect(db.url()) as conn:
        conn.execute("set transaction isolation level repeatable read")
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("select nura.tombstone_users(array[%s]::uuid[], 'backend_api')", (uid,))
    assert db.user(uid)["deleted_at"] is None and record["email"] == "isolated@example.com"


def test_migrate_erases_the_tombstones_an_earlier_release_left(db, run):
    """Earlier releases kept sign-in times, counters and the log rows of deleted users."""
    uid = db.auth.email_signup("old-tomb@example.com", {"full_name": "Old Tomb"})
    db.auth.hard_delete(uid)
    with db.connect() as conn:  # the tombstone as an earlier release left it
        conn.execute("alter table public.users drop constraint users_tombstone_holds_nothing_personal")
        conn.execute(
            "update public.users set last_sign_in_at = now(), email_confirmed_at = now(), xp = 3 where id = %s", (uid,)
        )
        conn.execute(
            "insert into public.user_sync_logs (user_id, sync_type, source, after_data, success)"
            " values (%s, 'update', 'supabase_auth', '{\"last_sign_in_at\": null}', true)",
            (uid,),
        )
        conn.execute(
            "insert into public.user_service_profiles (user_id, service_type, service_preferences)"
            " values (%s, 'chat', '{\"tone\": \"old\"}')",
            (uid,),
        )
        conn.execute(
            "alter table public.users add constraint users_tombstone_holds_nothing_personal check ("
            "deleted_at is null or (not is_active and email is null and phone_number is null and full_name is null"
            " and display_name is null and bio is null and avatar_url is null and privacy_settings = '{}'"
            " and email_confirmed_at is null and phone_confirmed_at is null and last_sign_in_at is null"
            " and last_active_at is null and xp = 0 and current_streak = 0 and auth_fields is null"
            " and auth_updated_at is null)) not valid"
        )
    assert run(db, "migrate")[0] == 0
    user = db.user(uid)
    assert (user["last_sign_in_at"], user["email_confirmed_at"], user["xp"]) == (None, None, 0)
    assert [log["sync_type"] for log in db.logs(uid)] == ["delete"]
    assert db.all("select * from public.user_service_profiles where user_id = %s", (uid,)) == []
    assert db.one("select convalidated from pg_constraint where conname = 'users_tombstone_holds_nothing_personal'")[0]


def test_a_soft_delete_committing_while_reconcile_makes_the_users_row_still_tombstones_it(db):
    uid = db.auth.email_signup("sam@example.com", {"full_name": "Sam Secret"})
    with db.connect() as conn:  # its row went missing (drift)
        conn.execute("delete from public.user_sync_logs where user_id = %s", (uid,))
        conn.execute("delete from public.users where id = %s", (uid,))
    reconciler = psycopg.connect(db.url())
    reconciler.execute("select nura.reconcile()")  # made the row, not committed yet
    deletion = threading.Thread(target=db.auth.soft_delete, args=(uid,))
    deletion.start()
    deletion.join(timeout=1)
    assert deletion.is_alive()  # waits for reconcile rather than slipping past its row
    reconciler.commit()
    reconciler.close()
    deletion.join(timeout=30)
    _assert_nothing_personal(db, uid, "sam@example.com", "Sam Secret")
