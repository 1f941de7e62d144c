"""What one caller sends is bounded, and so is what it costs: profile objects have size limits,
a log row holds only the keys that changed, and no timestamp can freeze a user's webhook order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb


def _call(db, statement: str, *params):
    with db.connect() as conn:
        return conn.execute(statement, params).fetchone()[0]


def _size_of_log(db, user_id: str) -> int:
    return db.one(
        "select coalesce(sum(pg_column_size(before_data) + pg_column_size(after_data)), 0)"
        " from public.user_sync_logs where user_id = %s",
        (user_id,),
    )[0]


@pytest.mark.parametrize(
    "statement, limit",
    [
        ("select nura.update_profile(%s, jsonb_build_object('privacy_settings', %s::jsonb))", 8 * 1024),
        ("select nura.set_service_preferences(%s, 'chat', %s::jsonb)", 64 * 1024),
        ("select nura.set_service_metadata(%s, 'voice', %s::jsonb)", 64 * 1024),
    ],
)
def test_profile_objects_are_limited_once_merged(db, statement, limit):
    uid = db.auth.email_signup("big@example.com")
    chunk = limit // 4
    for n in range(3):  # three quarters: fine
        _call(db, statement, uid, Jsonb({f"k{n}": "x" * (chunk - 20)}))
    before = (
        db.user(uid),
        db.all("select * from public.user_service_profiles where user_id = %s", (uid,)),
        len(db.logs(uid)),
    )
    with pytest.raises(psycopg.Error) as refused:  # the fourth quarter and a bit: over the limit once merged
        _call(db, statement, uid, Jsonb({"k3": "x" * (chunk + 100)}))
    assert refused.value.sqlstate == "PT400" and "KiB" in refused.value.diag.message_primary
    assert (
        db.user(uid),
        db.all("select * from public.user_service_profiles where user_id = %s", (uid,)),
        len(db.logs(uid)),
    ) == before
    _call(db, statement, uid, Jsonb({"k0": None, "k3": "x" * (chunk + 100)}))  # dropping a key makes room


@pytest.mark.parametrize(
    "statement, field",
    [
        ("select nura.update_profile(%s, jsonb_build_object('privacy_settings', %s::jsonb))", "privacy_settings"),
        ("select nura.set_service_preferences(%s, 'chat', %s::jsonb)", "chat.service_preferences"),
        ("select nura.set_service_metadata(%s, 'voice', %s::jsonb)", "voice.service_metadata"),
    ],
)
def test_a_log_row_holds_only_the_keys_that_changed(db, statement, field):
    uid = db.auth.email_signup("diff@example.com")
    _call(db, statement, uid, Jsonb({f"key{n}": "v" * 500 for n in range(10)}))
    size_after_first = _size_of_log(db, uid)
    for n in range(20):
        _call(db, statement, uid, Jsonb({"key0": f"changed {n}", "gone": None if n else "new"}))
    last = db.logs(uid)[-1]
    assert last["before_data"] == {field: {"key0": "changed 18", "gone": None}} or last["before_data"] == {
        field: {"key0": "changed 18"}
    }
    assert last["after_data"][field] == {"key0": "changed 19"}
    assert _size_of_log(db, uid) - size_after_first < 20 * 400  # not twenty copies of 5 KB


def test_touching_a_service_logs_the_count_not_the_whole_stats(db):
    uid = db.auth.email_signup("toucher@example.com")
    with db.connect() as conn:
        for _ in range(3):
            conn.execute("select nura.touch_service(%s, 'chat')", (uid,))
    last = db.logs(uid)[-1]
    assert last["after_data"]["chat.usage_stats"] == {"uses": 3}
    assert last["before_data"]["chat.usage_stats"] == {"uses": 2}


@pytest.mark.parametrize(
    "updated_at", ["infinity", "-infinity", (datetime.now(UTC) + timedelta(minutes=10)).isoformat()]
)
def test_a_webhook_timestamp_that_would_freeze_the_user_is_pt400(db, updated_at):
    uid = db.auth.email_signup("frozen@example.com", {"full_name": "Before"})
    record = db.auth_row(uid)
    db.become_split_backend()
    _call(db, "select nura.sync_from_auth(%s, null, 'INSERT', 'supabase_webhook')", Jsonb(record))
    with pytest.raises(psycopg.Error) as refused:
        _call(
            db,
            "select nura.sync_from_auth(%s, null, 'UPDATE', 'supabase_webhook')",
            Jsonb({**record, "updated_at": updated_at, "raw_user_meta_data": {"full_name": "Frozen"}}),
        )
    assert refused.value.sqlstate == "PT400"
    assert db.user(uid)["full_name"] == "Before"
    later = {
        **record,
        "updated_at": datetime.now(UTC).isoformat(),
        "raw_user_meta_data": {"full_name": "After"},
    }
    assert (
        _call(db, "select nura.sync_from_auth(%s, null, 'UPDATE', 'supabase_webhook')", Jsonb(later))["full_name"]
        == "After"
    )
