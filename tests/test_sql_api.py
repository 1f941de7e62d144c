"""The SQL API (schema nura), called as the roles that really call it: a service's login role
(granted nura_service) and the signed-in user (authenticated, with claims set transaction-locally
the way PostgREST and the HTTP API set them). Errors are asserted by SQLSTATE."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

SERVICE_API = {
    "backfill_users",
    "check_consistency",
    "check_changes",
    "check_all",
    "reconcile",
    "reconcile_batch",
    "get_user",
    "get_service_profile",
    "get_user_for_chat",
    "get_user_for_voice",
    "get_user_for_memory",
    "update_profile",
    "update_backend_fields",
    "add_xp",
    "set_service_preferences",
    "set_service_metadata",
    "touch_service",
    "sync_from_auth",
}
USER_API = {"me", "update_my_profile", "sync_me", "my_service_profile", "set_my_service_preferences"}


@pytest.fixture
def service(db):
    """A connection as a service: a login role that is granted nura_service, nothing else."""
    name = f"svc_{uuid.uuid4().hex[:8]}"
    with db.connect("supabase_admin") as conn:
        conn.execute(f"create role {name} login in role nura_service")
    with psycopg.connect(db.url(name), autocommit=True) as conn:
        yield conn
    with db.connect("supabase_admin") as conn:
        conn.execute(f"drop owned by {name}")
        conn.execute(f"drop role {name}")


def call(conn, function: str, *args):
    placeholders = ", ".join(["%s"] * len(args))
    return conn.execute(
        f"select nura.{function}({placeholders})", [Jsonb(a) if isinstance(a, (dict, list)) else a for a in args]
    ).fetchone()[0]


def as_user(db, user_id, function: str, *args, headers: dict | None = None):
    """Calls a user function as Supabase's REST layer would: role authenticated, claims and
    request headers set transaction-locally."""
    with psycopg.connect(db.url("authenticator")) as conn:
        conn.execute("select set_config('role', 'authenticated', true)")
        claims = {"sub": str(user_id), "role": "authenticated"} if user_id else {"role": "authenticated"}
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        conn.execute("select set_config('request.headers', %s, true)", (json.dumps(headers or {}),))
        return call(conn, function, *args)


def test_each_role_can_call_exactly_its_functions(db):
    granted = db.all(
        "select r.rolname, p.proname from pg_proc p cross join pg_roles r"
        " where p.pronamespace = 'nura'::regnamespace"
        " and r.rolname in ('anon', 'authenticated', 'service_role', 'nura_service')"
        " and has_function_privilege(r.oid, p.oid, 'execute')"
    )
    by_role = {
        role: {f for r, f in granted if r == role} for role in ("anon", "authenticated", "service_role", "nura_service")
    }
    # and what the views of `legacy switch` and nura.sync_metrics call for their readers
    services = SERVICE_API | {"legacy_extras", "counted_sync_logs", "sync_log_counted_through", "counted_users"}
    assert by_role == {"anon": set(), "authenticated": USER_API, "service_role": services, "nura_service": services}
    assert (
        db.all(
            # but the procedures of scheduled jobs, which commit and so can carry no SET clause
            "select proname from pg_proc where pronamespace = 'nura'::regnamespace and prokind <> 'p'"
            " and not ('search_path=\"\"' = any (proconfig))"
        )
        == []
    )
    for role in ("anon", "authenticated", "service_role"):
        assert db.one("select has_sequence_privilege(%s, 'public.user_sync_logs_id_seq', 'usage')", (role,)) == (False,)
        assert db.one("select has_table_privilege(%s, 'public.user_sync_logs', 'insert')", (role,)) == (False,)


def test_row_level_security_lets_a_user_read_only_their_own_rows(db):
    me_id = db.auth.email_signup("me@example.com")
    db.auth.email_signup("other@example.com")
    with psycopg.connect(db.url("authenticator")) as conn:
        conn.execute("select set_config('role', 'authenticated', true)")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": me_id}),))
        assert [str(r[0]) for r in conn.execute("select id from public.users")] == [me_id]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update public.users set full_name = 'x'")
    with psycopg.connect(db.url("authenticator")) as conn:
        conn.execute("select set_config('role', 'anon', true)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select id from public.users")


def test_get_user_and_the_per_service_shapes(db, service):
    uid = db.auth.email_signup("svc@example.com", {"full_name": "Svc User"})
    user = call(service, "get_user", uid)
    assert user["email"] == "svc@example.com" and user["full_name"] == "Svc User"
    assert call(service, "get_user", str(uuid.uuid4())) is None
    assert call(service, "get_user_for_chat", uid) == {
        "id": uid,
        "email": "svc@example.com",
        "full_name": "Svc User",
        "privacy_settings": {},
        "chat_preferences": {},
    }
    call(service, "set_service_metadata", uid, "voice", {"call_history": [{"at": "2026-01-01"}]})
    call(service, "set_service_preferences", uid, "voice", {"speed": 1.2})
    assert call(service, "get_user_for_voice", uid) == {
        "id": uid,
        "name": "Svc User",
        "phone": None,
        "voice_preferences": {"speed": 1.2},
        "call_history": [{"at": "2026-01-01"}],
    }
    assert call(service, "get_user_for_memory", uid) == {
        "user_id": uid,
        "privacy_level": "standard",
        "memory_preferences": {},
        "retention_settings": {},
    }
    call(service, "update_profile", uid, {"privacy_settings": {"memory_privacy": "strict"}})
    call(service, "set_service_metadata", uid, "memory", {"retention": {"days": 30}})
    memory = call(service, "get_user_for_memory", uid)
    assert (memory["privacy_level"], memory["retention_settings"]) == ("strict", {"days": 30})
    db.auth.hard_delete(uid)
    assert call(service, "get_user", uid)["deleted_at"] is not None  # the tombstone
    assert call(service, "get_user_for_chat", uid) is None


def test_service_profile_defaults_and_unknown_types(db, service):
    uid = db.auth.email_signup("p@example.com")
    with db.connect() as conn:
        conn.execute(
            "update nura.service_types set default_preferences = '{\"lang\": \"en\"}' where service_type = 'chat'"
        )
    profile = call(service, "get_service_profile", uid, "chat")
    assert profile["service_preferences"] == {"lang": "en"} and profile["id"] is None
    assert call(service, "get_service_profile", str(uuid.uuid4()), "chat") is None
    with pytest.raises(psycopg.Error) as e:
        call(service, "get_service_profile", uid, "fax")
    assert e.value.sqlstate == "PT404"
    written = call(service, "set_service_preferences", uid, "chat", {"tone": "warm", "lang": None})
    assert written["service_preferences"] == {"tone": "warm"} and written["id"] is not None
    for function in ("set_service_preferences", "set_service_metadata"):
        for bad in (None, Jsonb([1]), Jsonb("x")):
            with pytest.raises(psycopg.Error) as e:
                call(service, function, uid, "chat", bad)
            assert e.value.sqlstate == "PT400", (function, bad)
    with pytest.raises(psycopg.Error) as e:
        call(service, "touch_service", uid, "fax")
    assert e.value.sqlstate == "PT404"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "x@example.com"}, "email"),
        ({"xp": 5}, "xp"),
        ({"full_name": 7}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"bio": "x" * 2001}, "bio"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "https://x.example/" + "a" * 2048}, "avatar_url"),
        ({"phone_number": "0151 1234"}, "phone_number"),
        ({"phone_number": "+1234567"}, "phone_number"),
        ({"privacy_settings": "public"}, "privacy_settings"),
        (["full_name"], "object"),
    ],
)
def test_bad_profile_changes_are_pt400_naming_the_field_and_change_nothing(db, service, changes, field):
    uid = db.auth.email_signup("bad@example.com", {"full_name": "Before"})
    before = db.user(uid)
    with pytest.raises(psycopg.Error) as e:
        call(service, "update_profile", uid, changes)
    assert e.value.sqlstate == "PT400" and field in e.value.diag.message_primary
    assert db.user(uid) == before


def test_update_profile_logs_only_what_changed_and_empty_is_a_no_op(db, service):
    uid = db.auth.email_signup("up@example.com", {"full_name": "Old"})
    logs = len(db.logs(uid))
    user = call(
        service,
        "update_profile",
        uid,
        {"full_name": "New", "bio": None, "display_name": "N", "privacy_settings": {"a": 1}},
        "backend_api",
        "req-1",
        "sess-1",
    )
    assert (user["full_name"], user["display_name"], user["privacy_settings"]) == ("New", "N", {"a": 1})
    log = db.logs(uid)[-1]
    assert (log["sync_type"], log["source"], log["request_id"], log["session_id"]) == (
        "profile_update",
        "backend_api",
        "req-1",
        "sess-1",
    )
    # of privacy_settings, the keys that changed
    assert log["before_data"] == {"full_name": "Old", "display_name": None, "privacy_settings": {"a": None}}
    assert log["after_data"] == {"full_name": "New", "display_name": "N", "privacy_settings": {"a": 1}}
    call(service, "update_profile", uid, {"privacy_settings": {"b": 2, "a": None}})
    assert db.user(uid)["privacy_settings"] == {"b": 2}
    assert (db.logs(uid)[-1]["before_data"], db.logs(uid)[-1]["after_data"]) == (
        {"privacy_settings": {"a": 1, "b": None}},
        {"privacy_settings": {"a": None, "b": 2}},
    )
    n = len(db.logs(uid))
    call(service, "update_profile", uid, {})
    call(service, "update_profile", uid, {"full_name": "New"})
    assert len(db.logs(uid)) == n
    with pytest.raises(psycopg.Error) as e:
        call(service, "update_profile", str(uuid.uuid4()), {"full_name": "x"})
    assert e.value.sqlstate == "PT404"
    with pytest.raises(psycopg.Error) as e:
        call(service, "update_profile", uid, {"full_name": "x"}, "hacker")
    assert e.value.sqlstate == "PT400"
    assert logs < n


def test_backend_fields_and_add_xp(db, service):
    uid = db.auth.email_signup("xp@example.com")
    user = call(
        service,
        "update_backend_fields",
        uid,
        {"xp": 10, "current_streak": 3, "is_active": False, "last_active_at": "2026-11-24T10:00:00+01:00"},
    )
    assert (user["xp"], user["current_streak"], user["is_active"]) == (10, 3, False)
    assert db.logs(uid)[-1]["sync_type"] == "backend_update"
    assert call(service, "add_xp", uid, 5) == 15
    assert call(service, "add_xp", uid, -15) == 0
    for args in ([uid, -1], [uid, None], [uid, 2147483647]):
        call(service, "add_xp", uid, 1) if args[1] == 2147483647 else None
        with pytest.raises(psycopg.Error) as e:
            call(service, "add_xp", *args)
        assert e.value.sqlstate == "PT400"
    for bad in (
        {"xp": -1},
        {"xp": 1.5},
        {"xp": "3"},
        {"is_active": "yes"},
        {"last_active_at": "soon"},
        {"full_name": "x"},
        {"current_streak": 2147483648},
    ):
        with pytest.raises(psycopg.Error) as e:
            call(service, "update_backend_fields", uid, bad)
        assert e.value.sqlstate == "PT400", bad
    with pytest.raises(psycopg.Error) as e:
        call(service, "add_xp", str(uuid.uuid4()), 1)
    assert e.value.sqlstate == "PT404"


def test_touch_service_counts_uses(db, service):
    uid = db.auth.email_signup("touch@example.com")
    call(service, "touch_service", uid, "chat")
    profile = call(service, "touch_service", uid, "chat")
    assert profile["usage_stats"] == {"uses": 2} and profile["last_used_at"] is not None
    assert db.user(uid)["last_active_at"] is not None
    assert db.logs(uid)[-1]["after_data"]["chat.usage_stats"] == {"uses": 2}


def test_concurrent_add_xp_and_preference_merges_lose_nothing(db):
    uid = db.auth.email_signup("race@example.com")
    errors = []

    def worker(n: int) -> None:
        try:
            with psycopg.connect(db.url("postgres"), autocommit=True) as conn:
                conn.execute("set role service_role")
                for i in range(25):
                    call(conn, "add_xp", uid, 1)
                    call(conn, "set_service_preferences", uid, "chat", {f"w{n}_{i}": True})
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.user(uid)["xp"] == 150
    prefs = db.one("select service_preferences from public.user_service_profiles where user_id = %s", (uid,))[0]
    assert len(prefs) == 150


def test_the_signed_in_user_functions(db):
    uid = db.auth.email_signup("self@example.com", {"full_name": "Self"})
    me = as_user(db, uid, "me")
    assert me["user"]["email"] == "self@example.com"
    assert set(me["service_profiles"]) == {"chat", "voice", "memory"}
    etag = me["etag"]
    db.auth.sign_in(uid)  # a sign-in never changes the etag
    assert as_user(db, uid, "me")["etag"] == etag
    twin = db.auth.email_signup("twin@example.com", {"full_name": "Self"})  # the same profile fields
    with pytest.raises(psycopg.Error) as e:  # one user's etag is never another's
        as_user(db, twin, "update_my_profile", {"bio": "not mine"}, etag)
    assert e.value.sqlstate == "PT412"
    result = as_user(
        db, uid, "update_my_profile", {"bio": "hi"}, etag, headers={"x-request-id": "r-42", "x-session-id": "s-7"}
    )
    assert result["user"]["bio"] == "hi" and result["etag"] != etag
    log = db.logs(uid)[-1]
    assert (log["source"], log["request_id"], log["session_id"]) == ("frontend_sync", "r-42", "s-7")
    with pytest.raises(psycopg.Error) as e:
        as_user(db, uid, "update_my_profile", {"bio": "stale"}, etag)
    assert e.value.sqlstate == "PT412"
    assert as_user(db, uid, "update_my_profile", {"bio": "last write wins"})["user"]["bio"] == "last write wins"
    with pytest.raises(psycopg.Error) as e:
        as_user(db, None, "me")
    assert e.value.sqlstate == "PT401"
    with pytest.raises(psycopg.Error) as e:
        as_user(db, str(uuid.uuid4()), "me")
    assert e.value.sqlstate == "PT404"
    profile = as_user(db, uid, "set_my_service_preferences", "chat", {"tone": "dry"})
    assert profile["service_preferences"] == {"tone": "dry"}
    assert as_user(db, uid, "my_service_profile", "chat")["service_preferences"] == {"tone": "dry"}
    with pytest.raises(psycopg.Error) as e:
        as_user(db, uid, "my_service_profile", "fax")
    assert e.value.sqlstate == "PT404"
    db.auth.soft_delete(uid)
    for function, args in (("me", ()), ("update_my_profile", ({"bio": "x"},)), ("my_service_profile", ("chat",))):
        with pytest.raises(psycopg.Error) as e:
            as_user(db, uid, function, *args)
        assert e.value.sqlstate == "PT404", function


def test_sync_me_fills_only_empty_fields(db):
    uid = db.auth.email_signup("fill@example.com", {"full_name": "Kept"})
    result = as_user(
        db,
        uid,
        "sync_me",
        {
            "id": uid,
            "email": "evil@example.com",
            "full_name": "Ignored",
            "phone_number": "+4915112345678",
            "user_metadata": {"role": "admin"},
        },
    )
    user = result["user"]
    assert (user["full_name"], user["phone_number"], user["email"]) == ("Kept", "+4915112345678", "fill@example.com")
    assert as_user(db, uid, "sync_me", {"full_name": "", "phone_number": None})["user"] == user
    with pytest.raises(psycopg.Error) as e:
        as_user(db, uid, "sync_me", {"phone_number": "12"})
    assert e.value.sqlstate == "PT400"


def test_a_user_cannot_call_service_functions_nor_a_service_user_functions(db, service):
    uid = db.auth.email_signup("split@example.com")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_user(db, uid, "get_user", uid)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call(service, "me")


def test_sync_from_auth_applies_in_updated_at_order_and_never_revives(db, service):
    uid = db.auth.email_signup("hook@example.com", {"full_name": "Hook"})
    first = db.auth_row(uid)
    db.auth.update_metadata(uid, {"full_name": "Hook Two"})
    second = db.auth_row(uid)
    db.become_split_backend()
    user = call(service, "sync_from_auth", first, None, "insert", "supabase_webhook")
    assert user["full_name"] == "Hook" and user["origin"] == "supabase_webhook"
    assert call(service, "sync_from_auth", second, first, "UPDATE", "supabase_webhook")["full_name"] == "Hook Two"
    before = db.user(uid)
    assert call(service, "sync_from_auth", first, None, "INSERT", "supabase_webhook")["full_name"] == "Hook Two"
    call(service, "sync_from_auth", second, first, "UPDATE", "supabase_webhook")  # a retry
    assert db.user(uid) == before
    call(service, "sync_from_auth", None, second, "DELETE", "supabase_webhook")
    assert db.user(uid)["deleted_at"] is not None
    later = dict(
        second,
        updated_at=(datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        raw_user_meta_data={"full_name": "Zombie"},
    )
    assert call(service, "sync_from_auth", later, second, "UPDATE", "supabase_webhook")["full_name"] is None
    for bad in (
        (first, None, "MERGE", "supabase_webhook"),
        ({"id": "not-a-uuid"}, None, "INSERT", "supabase_webhook"),
        (first, None, "INSERT", "nowhere"),
        (Jsonb("text"), None, "INSERT", "supabase_webhook"),
    ):
        with pytest.raises(psycopg.Error) as e:
            call(service, "sync_from_auth", *bad)
        assert e.value.sqlstate == "PT400", bad


def test_sync_metrics_view(db, service):
    db.auth.email_signup("m@example.com")
    rows = service.execute("select source, total, succeeded, failed, success_rate from nura.sync_metrics").fetchall()
    assert [tuple(r[:4]) for r in rows] == [("supabase_auth", 2, 2, 0)]  # the signup and its session


def _deliver(service, record, old, op):
    return call(service, "sync_from_auth", record, old, op, "supabase_webhook")


def test_a_delete_delivered_first_is_never_undone(db, service):
    uid = db.auth.email_signup("early@example.com", {"full_name": "Early"})
    record = db.auth_row(uid)
    db.become_split_backend()
    assert _deliver(service, None, record, "DELETE")["deleted_at"] is not None
    assert _deliver(service, record, None, "INSERT")["deleted_at"] is not None
    assert db.user(uid)["full_name"] is None


def test_updates_delivered_out_of_order_all_land(db, service):
    uid = db.auth.email_signup("order@example.com", autoconfirm=False)
    created = db.auth_row(uid)
    db.auth.confirm_email(uid)
    confirmed = db.auth_row(uid)
    db.auth.sign_in(uid)
    signed_in = db.auth_row(uid)
    db.become_split_backend()
    _deliver(service, created, None, "INSERT")
    _deliver(service, signed_in, confirmed, "UPDATE")
    _deliver(service, confirmed, created, "UPDATE")  # late: older than what was applied
    user = db.user(uid)
    assert user["email_confirmed_at"] is not None and user["last_sign_in_at"] is not None


def test_same_updated_at_different_content_is_applied_and_a_retry_is_not(db, service):
    uid = db.auth.email_signup("same@example.com", {"full_name": "One"})
    first = db.auth_row(uid)
    db.become_split_backend()
    _deliver(service, first, None, "INSERT")
    second = dict(first, raw_user_meta_data={"full_name": "Two"})  # same updated_at
    _deliver(service, second, first, "UPDATE")
    assert db.user(uid)["full_name"] == "Two"
    call(service, "update_profile", uid, {"full_name": "Edited"})
    logs = len(db.logs(uid))
    _deliver(service, second, first, "UPDATE")  # a retry
    assert db.user(uid)["full_name"] == "Edited" and len(db.logs(uid)) == logs


def test_a_record_without_updated_at_is_refused(db, service):
    uid = db.auth.email_signup("noat@example.com")
    record = db.auth_row(uid)
    for bad in (
        dict(record, updated_at=None),
        {k: v for k, v in record.items() if k != "updated_at"},
        dict(record, email_change_confirm_status=70000),
        dict(record, created_at="yesterday-ish"),
    ):
        with pytest.raises(psycopg.Error) as e:
            _deliver(service, bad, None, "INSERT")
        assert e.value.sqlstate == "PT400"


def test_a_webhook_for_a_user_this_databases_auth_feeds_changes_nothing(db, service):
    uid = db.auth.email_signup("local@example.com", {"full_name": "Local"})
    stale = db.auth_row(uid)
    db.auth.update_metadata(uid, {"full_name": "Newer"})
    _deliver(service, stale, None, "INSERT")
    _deliver(service, None, stale, "DELETE")
    user = db.user(uid)
    assert (user["full_name"], user["origin"], user["deleted_at"]) == ("Newer", "supabase_auth", None)
    assert db.drift() == []


def test_concurrent_deliveries_of_one_user_keep_the_newest(db, service):
    uid = db.auth.email_signup("conc@example.com", {"full_name": "Old"})
    old = db.auth_row(uid)
    db.auth.update_metadata(uid, {"full_name": "New"})
    new = db.auth_row(uid)
    for _ in range(5):
        db.become_split_backend()
        barrier = threading.Barrier(2)

        def deliver(record, op, barrier=barrier):
            with psycopg.connect(db.url("postgres"), autocommit=True) as conn:
                conn.execute("set role service_role")
                barrier.wait()
                call(conn, "sync_from_auth", record, None, op, "supabase_webhook")

        threads = [
            threading.Thread(target=deliver, args=(new, "UPDATE")),
            threading.Thread(target=deliver, args=(old, "INSERT")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert db.user(uid)["full_name"] == "New"


@pytest.mark.parametrize(
    "function, args",
    [
        ("me", ()),
        ("update_my_profile", ({"bio": "x"},)),
        ("sync_me", ({"full_name": "x"},)),
        ("my_service_profile", ("chat",)),
        ("set_my_service_preferences", ("chat", {"a": 1})),
    ],
)
def test_user_functions_without_a_signed_in_user_are_pt401(db, function, args):
    with pytest.raises(psycopg.Error) as e:
        as_user(db, None, function, *args)
    assert e.value.sqlstate == "PT401"


def test_sync_me_for_someone_else_is_pt403(db):
    uid = db.auth.email_signup("mine@example.com")
    with pytest.raises(psycopg.Error) as e:
        as_user(db, uid, "sync_me", {"id": str(uuid.uuid4()), "full_name": "Thief"})
    assert e.value.sqlstate == "PT403"
    assert as_user(db, uid, "sync_me", {"id": uid.upper(), "full_name": "Me"})["user"]["full_name"] == "Me"


def test_the_etag_ignores_backend_fields_and_a_stale_if_match_fails_even_when_empty(db, service):
    uid = db.auth.email_signup("etag@example.com")
    etag = as_user(db, uid, "me")["etag"]
    call(service, "update_backend_fields", uid, {"xp": 3, "last_active_at": "2026-11-24T00:00:00Z"})
    call(service, "add_xp", uid, 2)
    call(service, "touch_service", uid, "chat")
    assert as_user(db, uid, "me")["etag"] == etag
    call(service, "update_profile", uid, {"bio": "changed"})
    with pytest.raises(psycopg.Error) as e:
        as_user(db, uid, "update_my_profile", {}, etag)
    assert e.value.sqlstate == "PT412"
    for special in ("now", "infinity", "today"):
        with pytest.raises(psycopg.Error) as e:
            call(service, "update_backend_fields", uid, {"last_active_at": special})
        assert e.value.sqlstate == "PT400"


def test_touch_restarts_a_count_that_is_not_a_count(db, service):
    uid = db.auth.email_signup("count@example.com")
    call(service, "touch_service", uid, "chat")
    with db.connect() as conn:
        conn.execute("update public.user_service_profiles set usage_stats = '{\"uses\": 1.5}'")
    assert call(service, "touch_service", uid, "chat")["usage_stats"] == {"uses": 1}


@pytest.mark.parametrize(
    "statement, code",
    [
        ("select nura.update_profile(%(u)s, '\"a string\"')", "PT400"),
        ("select nura.update_profile(%(u)s, '[1, 2]')", "PT400"),
        ("select nura.update_profile(%(u)s, '{\"full_name\": 42}')", "PT400"),
        ("select nura.update_profile(%(u)s, '{\"bio\": \"x\"}', 'made_up_source')", "PT400"),
        ("select nura.update_profile(%(u)s, null)", "PT400"),
        ('select nura.update_backend_fields(%(u)s, \'{"xp": "lots"}\')', "PT400"),
        ("select nura.update_backend_fields(%(u)s, '{\"xp\": -1}')", "PT400"),
        ('select nura.update_backend_fields(%(u)s, \'{"is_active": "yes"}\')', "PT400"),
        ("select nura.set_service_preferences(%(u)s, 'chat', '[1]')", "PT400"),
        ("select nura.set_service_metadata(%(u)s, 'chat', '\"x\"')", "PT400"),
        ("select nura.set_service_preferences(%(u)s, 'no_such_service', '{}')", "PT404"),
        ("select nura.set_service_preferences(%(u)s, null, '{}')", "PT404"),
        ("select nura.get_service_profile(%(u)s, '''; drop table public.users; --')", "PT404"),
        ('select nura.update_profile(gen_random_uuid(), \'{"bio": "x"}\')', "PT404"),
        ("select nura.add_xp(gen_random_uuid(), 5)", "PT404"),
        ("select nura.sync_from_auth('\"not a record\"', null, 'UPDATE', 'supabase_webhook')", "PT400"),
        ("select nura.sync_from_auth('{}', null, 'TRUNCATE', 'supabase_webhook')", "PT400"),
    ],
)
def test_sql_api_calls_with_wrong_values_get_their_documented_error_and_change_nothing(db, service, statement, code):
    uid = db.auth.email_signup("typed@example.com")
    before = db.all("select to_jsonb(u) from public.users u"), db.one("select count(*) from public.user_sync_logs")
    with pytest.raises(psycopg.Error) as error:
        service.execute(statement, {"u": uid})
    assert error.value.sqlstate == code, error.value
    assert (
        db.all("select to_jsonb(u) from public.users u"),
        db.one("select count(*) from public.user_sync_logs"),
    ) == before
