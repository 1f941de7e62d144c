"""Every Supabase Auth flow, replayed as Auth writes it, keeps public.users right in the same
transaction, and the log explains each change with only the fields that changed."""

from __future__ import annotations

import uuid

import psycopg
import pytest


def test_email_signup_with_autoconfirm_creates_one_row_and_one_log_row(db):
    uid = db.auth.email_signup("Ada@Example.com", {"full_name": "Ada Lovelace"}, sign_in=True)
    user = db.user(uid)
    assert user["email"] == "ada@example.com"
    assert user["full_name"] == "Ada Lovelace"
    assert user["email_confirmed_at"] is not None and user["last_sign_in_at"] is not None
    assert user["is_active"] and user["deleted_at"] is None and user["origin"] == "supabase_auth"
    created_at = db.one("select created_at from auth.users where id = %s", (uid,))[0]
    assert user["created_at"] == created_at
    [log] = db.logs(uid)  # the whole flow, several auth UPDATEs, is one log row
    assert (log["sync_type"], log["source"], log["success"]) == ("create", "supabase_auth", True)
    assert log["before_data"] is None
    assert set(log["after_data"]) == {"email", "full_name", "email_confirmed_at", "last_sign_in_at"}
    assert db.drift() == []


def test_email_signup_without_autoconfirm_then_confirmation(db):
    uid = db.auth.email_signup("bob@example.com", autoconfirm=False)
    assert db.user(uid)["email_confirmed_at"] is None
    db.auth.confirm_email(uid)
    assert db.user(uid)["email_confirmed_at"] is not None
    create, confirm = db.logs(uid)
    assert confirm["sync_type"] == "update"
    assert list(confirm["after_data"]) == ["email_confirmed_at"]
    assert confirm["before_data"] == {"email_confirmed_at": None}
    assert create["id"] < confirm["id"]


def test_password_sign_in_copies_last_sign_in_only(db):
    uid = db.auth.email_signup("carol@example.com", {"full_name": "Carol"})
    with db.connect() as conn:  # a profile edit made on our side
        conn.execute("update public.users set full_name = 'Carol Edited' where id = %s", (uid,))
    db.auth.sign_in(uid)
    user = db.user(uid)
    assert user["full_name"] == "Carol Edited"
    assert user["last_sign_in_at"] is not None
    assert list(db.logs(uid)[-1]["after_data"]) == ["last_sign_in_at"]


def test_phone_signup_stores_e164(db):
    uid = db.auth.phone_signup("4915112345678", {"full_name": "Phone Person"})
    user = db.user(uid)
    assert user["phone_number"] == "+4915112345678"
    assert user["email"] is None and user["phone_confirmed_at"] is not None
    assert db.drift() == []


def test_anonymous_sign_in(db):
    uid = db.auth.anonymous_sign_in()
    user = db.user(uid)
    assert user["email"] is None and user["phone_number"] is None and user["full_name"] is None
    assert user["last_sign_in_at"] is not None


@pytest.mark.parametrize(
    "provider, claims, full_name, avatar",
    [
        (
            "google",
            {"name": "Grace Hopper", "picture": "https://lh3.example.com/a.png", "email": "g@example.com"},
            "Grace Hopper",
            "https://lh3.example.com/a.png",
        ),
        (
            "github",
            {
                "full_name": "Linus T",
                "name": "ignored",
                "avatar_url": "https://gh.example.com/l.png",
                "user_name": "linus",
                "email": "l@example.com",
            },
            "Linus T",
            "https://gh.example.com/l.png",
        ),
    ],
)
def test_oauth_signup_reads_the_providers_keys(db, provider, claims, full_name, avatar):
    uid = db.auth.oauth_signup(provider, claims)
    user = db.user(uid)
    assert (user["full_name"], user["avatar_url"]) == (full_name, avatar)
    assert user["email"] == claims["email"]


def test_sso_users_share_an_email(db):
    plain = db.auth.email_signup("shared@corp.example")
    sso1 = db.auth.oauth_signup("sso:corp", {"email": "shared@corp.example", "name": "One"}, sso=True)
    sso2 = db.auth.oauth_signup("sso:other", {"email": "shared@corp.example", "name": "Two"}, sso=True)
    emails = db.all("select email from public.users where id = any(%s)", ([plain, sso1, sso2],))
    assert [e for (e,) in emails] == ["shared@corp.example"] * 3


def test_metadata_update_changes_profile_fields_last_write_wins(db):
    uid = db.auth.email_signup("dan@example.com", {"full_name": "Dan"})
    db.auth.update_metadata(uid, {"full_name": "Daniel", "avatar_url": "https://img.example.com/d.png"})
    user = db.user(uid)
    assert (user["full_name"], user["avatar_url"]) == ("Daniel", "https://img.example.com/d.png")
    log = db.logs(uid)[-1]
    assert log["before_data"] == {"full_name": "Dan", "avatar_url": None}
    assert log["after_data"] == {"full_name": "Daniel", "avatar_url": "https://img.example.com/d.png"}
    # A later edit on our side wins until auth changes the field again.
    with db.connect() as conn:
        conn.execute("update public.users set full_name = 'Dan Edited' where id = %s", (uid,))
    db.auth.update_metadata(uid, {"theme": "dark"})  # an unrelated metadata write
    assert db.user(uid)["full_name"] == "Dan Edited"
    db.auth.update_metadata(uid, {"full_name": None})  # a null deletes the key
    assert db.user(uid)["full_name"] is None


def test_email_change_lands_only_at_confirmation(db):
    uid = db.auth.email_signup("old@example.com")
    db.auth.request_email_change(uid, "new@example.com")
    assert db.user(uid)["email"] == "old@example.com"
    db.auth.confirm_email_change(uid)
    assert db.user(uid)["email"] == "new@example.com"
    assert db.logs(uid)[-1]["after_data"] == {"email": "new@example.com"}


def test_admin_create_with_custom_id_and_later_app_metadata(db):
    custom = "11111111-2222-3333-4444-555555555555"
    uid = db.auth.admin_create("admin-made@example.com", user_id=custom, app_metadata={"plan": "pro"})
    assert uid == custom
    assert db.user(custom)["email"] == "admin-made@example.com"
    assert len(db.logs(custom)) == 1


def test_ban_writes_nothing(db):
    uid = db.auth.email_signup("eve@example.com")
    before = db.user(uid)
    db.auth.ban(uid)
    assert db.user(uid) == before
    assert len(db.logs(uid)) == 1


def test_soft_delete_tombstones_and_erases(db):
    uid = db.auth.email_signup("frank@example.com", {"full_name": "Frank", "avatar_url": "https://x.example/f.png"})
    db.auth.update_metadata(uid, {"full_name": "Franklin"})
    db.auth.soft_delete(uid)
    user = db.user(uid)
    assert user["deleted_at"] is not None and not user["is_active"]
    assert user["email"] is None and user["full_name"] is None and user["avatar_url"] is None
    logs = db.logs(uid)
    deletion = logs[-1]
    assert deletion["sync_type"] == "delete"
    assert sorted(deletion["after_data"]["cleared"]) == ["avatar_url", "email", "email_confirmed_at", "full_name"]
    for log in logs:
        for image in (log["before_data"] or {}, log["after_data"] or {}):
            for field in ("email", "full_name", "avatar_url"):
                assert image.get(field) is None, (log, field)
    assert db.drift() == []


def test_hard_delete_tombstones(db):
    uid = db.auth.email_signup("gina@example.com", {"full_name": "Gina"})
    db.auth.hard_delete(uid)
    user = db.user(uid)
    assert user["deleted_at"] is not None and user["email"] is None and user["full_name"] is None
    assert "Gina" not in str(db.logs(uid))
    assert db.drift() == []


def test_soft_then_hard_delete_logs_one_deletion(db):
    uid = db.auth.email_signup("hal@example.com")
    db.auth.soft_delete(uid)
    db.auth.hard_delete(uid)
    assert [log["sync_type"] for log in db.logs(uid)] == ["delete"]  # one deletion; the rest of the log is erased


def test_reused_id_after_hard_delete_is_a_new_account(db):
    uid = db.auth.admin_create("first@example.com")
    db.auth.hard_delete(uid)
    db.auth.admin_create("second@example.com", user_id=uid)
    user = db.user(uid)
    assert user["email"] == "second@example.com" and user["deleted_at"] is None and user["is_active"]
    assert db.drift() == []


def test_sync_runs_inside_auths_transaction(db):
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        db.auth._insert(conn, id=str(uuid.uuid4()), email="rolled@back.example")
        conn.execute("set constraints all immediate")  # run the commit-time sync now
        synced = conn.execute(
            "select calls from pg_stat_xact_user_functions"
            " where schemaname = 'nura' and funcname = 'create_users_from_auth'"
        ).fetchone()
        assert synced == (1,)
        conn.rollback()
    assert db.one("select count(*) from public.users")[0] == 0
    assert db.one("select count(*) from public.user_sync_logs")[0] == 0


def test_supabase_auth_can_still_change_its_column_types(db):
    """Auth's own migrations alter auth.users; nothing of ours may depend on its columns."""
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "alter table users alter column email type text, alter column phone type varchar(20),"
            " alter column raw_user_meta_data type jsonb, alter column last_sign_in_at type timestamptz"
        )
    uid = db.auth.email_signup("after-alter@example.com", {"full_name": "Still Synced"}, sign_in=True)
    assert db.user(uid)["full_name"] == "Still Synced"


def test_auth_users_stand_in_has_supabases_35_columns(db):
    assert (
        db.one("select count(*) from information_schema.columns where table_schema = 'auth' and table_name = 'users'")[
            0
        ]
        == 35
    )


def test_one_transaction_touching_several_users_syncs_each_to_its_final_state(db):
    a = db.auth.email_signup("a@multi.example", {"full_name": "A"})
    b = db.auth.email_signup("b@multi.example", {"full_name": "B"})
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "A2"}\' where id = %s', (a,))
        conn.execute("update users set last_sign_in_at = now() where id = %s", (b,))
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "A3"}\' where id = %s', (a,))
    assert db.user(a)["full_name"] == "A3" and db.user(b)["last_sign_in_at"] is not None
    assert db.logs(a)[-1]["after_data"] == {"full_name": "A3"}
    assert db.drift() == []


def test_changes_after_set_constraints_immediate_are_synced_too(db):
    uid = db.auth.email_signup("imm@example.com", {"full_name": "Before"})
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "Middle"}\' where id = %s', (uid,))
        conn.execute("set constraints all immediate")  # fires the sync now, mid-transaction
        conn.execute("set constraints all deferred")
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "After"}\' where id = %s', (uid,))
    assert db.user(uid)["full_name"] == "After"
    assert [log["after_data"] for log in db.logs(uid)[1:]] == [{"full_name": "Middle"}, {"full_name": "After"}]


def test_a_user_created_and_deleted_in_one_transaction_leaves_nothing(db):
    uid = str(uuid.uuid4())
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        db.auth._insert(conn, id=uid, email="brief@example.com")
        conn.execute("delete from users where id = %s", (uid,))
    assert db.user(uid) is None and db.logs(uid) == []
    assert db.drift() == []
