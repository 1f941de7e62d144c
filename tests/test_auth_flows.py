"""Every flow of Supabase Auth, replayed as Auth writes it (the statements on auth.users in their
order, the transactions, the other auth tables each transaction writes), and what the sync makes
of it: public.users as the mapping says, no drift, exactly the expected log rows, and a profile
edit made earlier still there unless the flow changed its auth source."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from glue.dev.supabase_standin import Transaction
from tests.support.auth_writes import AUDIT, SESSION, Recorder

IDENTITY = "identities INSERT"
TOKENS_CLEARED = "one_time_tokens DELETE"
TOKEN_SENT = {"one_time_tokens DELETE", "one_time_tokens INSERT"}  # the user's token of that type replaced
SIGNUP_UPDATES = ["INSERT", "role", "raw_user_meta_data", "raw_app_meta_data"]
EMAIL_CHANGED = "email email_change email_change_confirm_status email_change_token_current email_change_token_new"
SOFT_DELETE = (
    "confirmation_token deleted_at email email_change email_change_token_current email_change_token_new"
    " encrypted_password phone phone_change phone_change_token recovery_token"
)
EDITED = {"full_name": "Edited By User", "bio": "kept"}


@pytest.fixture
def recorder(db):
    recorder = Recorder(db)
    recorder.install()
    return recorder


def flow(db, recorder, run, user_id: str | None = None):
    """Runs one flow; returns (user id, its transactions as (auth.users statements, other tables'
    writes), the log rows it added as (sync_type, source, fields))."""
    before = len(db.logs(user_id)) if user_id else 0
    recorder.clear()
    user_id = run() or user_id
    txs = [(tx.shapes, tx.other) for tx in recorder.take()]
    logs = [(log["sync_type"], log["source"], sorted(log["after_data"] or {})) for log in db.logs(user_id)[before:]]
    return user_id, txs, logs


def edit_profile(db, user_id: str) -> None:
    with db.connect() as conn:
        conn.execute("select nura.update_profile(%s, %s)", (user_id, Jsonb(EDITED)))


def assert_edit_intact(db, user_id: str) -> None:
    user = db.user(user_id)
    assert (user["full_name"], user["bio"]) == (EDITED["full_name"], EDITED["bio"])


def assert_mirrors_auth(db, user_id: str) -> None:
    """The auth-owned fields of public.users are auth's, and check finds no drift."""
    auth = db.one(
        "select email, email_confirmed_at, phone_confirmed_at, last_sign_in_at, created_at from auth.users"
        " where id = %s",
        (user_id,),
    )
    user = db.user(user_id)
    fields = ("email", "email_confirmed_at", "phone_confirmed_at", "last_sign_in_at", "created_at")
    assert tuple(user[f] for f in fields) == auth
    assert db.drift() == []


def row_version(db, user_id: str) -> tuple:
    """public.users row's version and lock word: unchanged if nothing wrote or locked it."""
    return db.one("select xmin::text, xmax::text, ctid::text from public.users where id = %s", (user_id,))


# --- signups ---------------------------------------------------------------------------------


def test_email_signup_waiting_for_confirmation(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.email_signup("Ada@Example.com", {"full_name": "Ada"},
                                                                     autoconfirm=False))  # fmt: skip
    assert txs == [
        ([*SIGNUP_UPDATES, "confirmation_sent_at confirmation_token"], {IDENTITY, *AUDIT, *TOKEN_SENT}),
    ]
    assert logs == [("create", "supabase_auth", ["email", "full_name"])]
    user = db.user(uid)
    assert (user["email"], user["full_name"]) == ("ada@example.com", "Ada")
    assert user["email_confirmed_at"] is None and user["last_sign_in_at"] is None
    assert_mirrors_auth(db, uid)


def test_email_confirmation_confirms_and_signs_in_in_one_transaction(db, recorder):
    uid = db.auth.email_signup("bob@example.com", {"full_name": "Bob"}, autoconfirm=False)
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.confirm_email(uid), uid)
    assert txs == [
        (
            ["confirmation_token email_confirmed_at", "raw_user_meta_data", "raw_app_meta_data", "last_sign_in_at"],
            {*AUDIT, TOKENS_CLEARED, "identities UPDATE", *SESSION},
        ),
    ]
    assert logs == [("update", "supabase_auth", ["email_confirmed_at", "last_sign_in_at"])]
    assert db.logs(uid)[-1]["before_data"] == {"email_confirmed_at": None, "last_sign_in_at": None}
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


def test_autoconfirmed_email_signup_then_its_session_two_transactions(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.email_signup("cy@example.com", {"full_name": "Cy"}))
    assert txs == [
        (
            [*SIGNUP_UPDATES, "confirmation_token email_confirmed_at", "raw_user_meta_data"],
            {IDENTITY, *AUDIT, TOKENS_CLEARED},
        ),
        (["last_sign_in_at"], {*AUDIT, *SESSION}),
    ]
    # Auth commits the signup before it signs the user in: two syncs, two log rows
    assert logs == [
        ("create", "supabase_auth", ["email", "email_confirmed_at", "full_name"]),
        ("update", "supabase_auth", ["last_sign_in_at"]),
    ]
    user = db.user(uid)
    assert user["is_active"] and user["origin"] == "supabase_auth" and user["full_name"] == "Cy"
    assert_mirrors_auth(db, uid)


def test_phone_signup_waiting_for_its_code(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.phone_signup("4915112345678", autoconfirm=False))
    assert txs == [
        ([*SIGNUP_UPDATES, "confirmation_sent_at confirmation_token"], {IDENTITY, *AUDIT, *TOKEN_SENT}),
    ]
    assert logs == [("create", "supabase_auth", ["phone_number"])]
    user = db.user(uid)
    assert (user["phone_number"], user["email"], user["phone_confirmed_at"]) == ("+4915112345678", None, None)
    assert_mirrors_auth(db, uid)


def test_phone_verification(db, recorder):
    uid = db.auth.phone_signup("4915112345679", autoconfirm=False)
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.verify_phone(uid), uid)
    assert txs == [
        (
            ["confirmation_token phone_confirmed_at", "raw_app_meta_data", "last_sign_in_at"],
            {*AUDIT, TOKENS_CLEARED, *SESSION},
        ),
    ]
    assert logs == [("update", "supabase_auth", ["last_sign_in_at", "phone_confirmed_at"])]
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


def test_autoconfirmed_phone_signup_writes_no_metadata_then_its_session(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.phone_signup("447700900123", {"full_name": "Pat"}))
    assert txs == [
        ([*SIGNUP_UPDATES, "confirmation_token phone_confirmed_at"], {IDENTITY, *AUDIT, TOKENS_CLEARED}),
        (["last_sign_in_at"], {*AUDIT, *SESSION}),
    ]
    assert logs == [
        ("create", "supabase_auth", ["full_name", "phone_confirmed_at", "phone_number"]),
        ("update", "supabase_auth", ["last_sign_in_at"]),
    ]
    assert db.user(uid)["phone_number"] == "+447700900123"
    assert_mirrors_auth(db, uid)


def test_anonymous_sign_in_has_no_identity_and_no_audit_row(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.anonymous_sign_in())
    assert txs == [(["INSERT", "role", "last_sign_in_at"], set(SESSION))]
    assert logs == [("create", "supabase_auth", ["last_sign_in_at"])]
    user = db.user(uid)
    assert user["email"] is None and user["phone_number"] is None and user["full_name"] is None
    assert_mirrors_auth(db, uid)


def test_an_anonymous_user_made_permanent_gets_their_email(db, recorder):
    uid = db.auth.anonymous_sign_in({"full_name": "Anon"})
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.request_email_change(uid, "Kept@Example.com"), uid)
    assert txs == [(["email_change email_change_confirm_status email_change_sent_at email_change_token_current"
                     " email_change_token_new"], {*TOKEN_SENT, *AUDIT})]  # fmt: skip
    assert logs == []
    # no current address: one link, one transaction, the is_anonymous flip in an UPDATE of its own
    _, txs, logs = flow(db, recorder, lambda: db.auth.confirm_email_change(uid), uid)
    assert txs == [
        (
            ["is_anonymous", EMAIL_CHANGED, "confirmation_token email_confirmed_at", "raw_user_meta_data",
             "raw_app_meta_data", "last_sign_in_at"],
            {*AUDIT, IDENTITY, TOKENS_CLEARED, *SESSION},
        ),
    ]  # fmt: skip
    assert logs == [("update", "supabase_auth", ["email", "email_confirmed_at", "last_sign_in_at"])]
    assert db.user(uid)["email"] == "kept@example.com"
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


@pytest.mark.parametrize(
    "provider, claims, full_name, avatar",
    [
        (
            "google",
            {"name": "Grace Hopper", "picture": "https://lh3.example.com/a.png", "email": "G@Example.com"},
            "Grace Hopper",
            "https://lh3.example.com/a.png",
        ),
        (
            "github",
            {"full_name": "Linus T", "name": "ignored", "avatar_url": "https://gh.example.com/l.png",
             "user_name": "linus", "email": "l@example.com"},
            "Linus T",
            "https://gh.example.com/l.png",
        ),
    ],
)  # fmt: skip
def test_oauth_signup_one_transaction_of_eight_statements(db, recorder, provider, claims, full_name, avatar):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.oauth_signup(provider, claims))
    assert txs == [
        (
            ["INSERT", "role", "encrypted_password", "raw_user_meta_data", "raw_app_meta_data",
             "confirmation_token email_confirmed_at", "raw_user_meta_data", "last_sign_in_at"],
            {IDENTITY, *AUDIT, TOKENS_CLEARED, "flow_state DELETE", *SESSION},
        ),
    ]  # fmt: skip
    assert logs == [
        ("create", "supabase_auth", ["avatar_url", "email", "email_confirmed_at", "full_name", "last_sign_in_at"])
    ]
    user = db.user(uid)
    assert (user["full_name"], user["avatar_url"], user["email"]) == (full_name, avatar, claims["email"].lower())
    assert_mirrors_auth(db, uid)


def test_sso_signup_is_an_sso_user_and_shares_an_email(db, recorder):
    plain = db.auth.email_signup("shared@corp.example")
    uid, txs, _ = flow(db, recorder, lambda: db.auth.oauth_signup("sso", {"email": "shared@corp.example",
                                                                          "name": "One"}, sso=True))  # fmt: skip
    assert txs[0][0][0] == "INSERT" and len(txs) == 1 and len(txs[0][0]) == 8
    assert db.one("select is_sso_user from auth.users where id = %s", (uid,)) == (True,)
    other = db.auth.oauth_signup("sso", {"email": "shared@corp.example", "name": "Two"}, sso=True)
    emails = db.all("select email from public.users where id = any(%s)", ([plain, uid, other],))
    assert [e for (e,) in emails] == ["shared@corp.example"] * 3
    assert db.drift() == []


@pytest.mark.parametrize("ban", [False, True])
def test_admin_create_with_a_custom_id(db, recorder, ban):
    custom = str(uuid.uuid4())
    uid, txs, logs = flow(db, recorder, lambda: db.auth.admin_create(
        "Admin-Made@example.com", user_id=custom, phone="4915112340000", app_metadata={"plan": "pro"},
        email_confirm=True, phone_confirm=True, ban_hours=24 if ban else None))  # fmt: skip
    assert uid == custom
    assert txs == [
        (
            ["INSERT", "role", "raw_app_meta_data", "confirmation_token email_confirmed_at", "raw_user_meta_data",
             "confirmation_token phone_confirmed_at"] + (["banned_until"] if ban else []),
            {IDENTITY, *AUDIT, TOKENS_CLEARED},
        ),
    ]  # fmt: skip
    assert logs == [("create", "supabase_auth", ["email", "email_confirmed_at", "phone_confirmed_at", "phone_number"])]
    assert_mirrors_auth(db, custom)


def test_admin_create_with_a_password_hash_and_no_metadata(db, recorder):
    uid, txs, logs = flow(db, recorder, lambda: db.auth.admin_create("hash@example.com", password_hash="$2a$10$x"))
    assert txs == [(["INSERT", "role"], {IDENTITY, *AUDIT})]
    assert db.one("select raw_user_meta_data from auth.users where id = %s", (uid,)) == (None,)  # JSON null
    assert logs == [("create", "supabase_auth", ["email"])]
    assert_mirrors_auth(db, uid)


# --- sign-ins and tokens ---------------------------------------------------------------------


def test_password_sign_in_copies_last_sign_in_only(db, recorder):
    uid = db.auth.email_signup("carol@example.com", {"full_name": "Carol"})
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.sign_in(uid), uid)
    assert txs == [(["last_sign_in_at"], {*AUDIT, *SESSION})]
    assert logs == [("update", "supabase_auth", ["last_sign_in_at"])]
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


def test_token_refresh_writes_and_locks_nothing(db, recorder):
    uid = db.auth.email_signup("dora@example.com")
    before, version = db.user(uid), row_version(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.refresh(uid), uid)
    # the legacy tokens (the default): last_sign_in_at set to the value it has, on every refresh
    assert txs == [(["last_sign_in_at"], {*AUDIT, "refresh_tokens UPDATE", "refresh_tokens INSERT", "sessions UPDATE"})]
    _, txs_newer, logs_newer = flow(db, recorder, lambda: db.auth.refresh(uid, legacy_tokens=False), uid)
    assert txs_newer == [([], {"sessions UPDATE", *AUDIT})]
    _, txs_logout, logs_logout = flow(db, recorder, lambda: db.auth.logout(uid), uid)
    assert txs_logout == [([], {"sessions DELETE", *AUDIT})]
    assert logs == logs_newer == logs_logout == []
    assert db.user(uid) == before and row_version(db, uid) == version
    assert_mirrors_auth(db, uid)


def test_returning_oauth_login_with_unchanged_claims_records_only_the_sign_in(db, recorder):
    claims = {"name": "Grace", "picture": "https://lh3.example.com/g.png", "email": "grace@example.com"}
    uid = db.auth.oauth_signup("google", claims)
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.oauth_login(uid, claims), uid)
    assert txs == [
        (
            ["raw_user_meta_data", "raw_app_meta_data", "last_sign_in_at"],
            {"identities UPDATE", *AUDIT, *SESSION, "flow_state DELETE"},
        ),
    ]
    assert logs == [("update", "supabase_auth", ["last_sign_in_at"])]
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


def test_returning_oauth_login_with_a_new_name_changes_it(db, recorder):
    claims = {"name": "Grace", "email": "grace2@example.com"}
    uid = db.auth.oauth_signup("google", claims)
    edit_profile(db, uid)
    _, _, logs = flow(db, recorder, lambda: db.auth.oauth_login(uid, {**claims, "name": "Grace Hopper"}), uid)
    assert logs == [("update", "supabase_auth", ["full_name", "last_sign_in_at"])]
    assert db.user(uid)["full_name"] == "Grace Hopper" and db.user(uid)["bio"] == "kept"
    assert_mirrors_auth(db, uid)


# --- changes ---------------------------------------------------------------------------------


def test_metadata_update_is_written_whole_and_only_changed_keys_sync(db, recorder):
    uid = db.auth.email_signup("dan@example.com", {"full_name": "Dan"})
    _, txs, logs = flow(db, recorder, lambda: db.auth.update_metadata(
        uid, {"full_name": "Daniel", "avatar_url": "https://img.example.com/d.png"}), uid)  # fmt: skip
    assert txs == [(["raw_user_meta_data"], set(AUDIT))]
    assert logs == [("update", "supabase_auth", ["avatar_url", "full_name"])]
    assert db.logs(uid)[-1]["before_data"] == {"full_name": "Dan", "avatar_url": None}
    edit_profile(db, uid)
    version = row_version(db, uid)
    for unrelated in ({"theme": "dark"}, {}):  # Auth writes the document even for {}
        _, txs, logs = flow(db, recorder, lambda unrelated=unrelated: db.auth.update_metadata(uid, unrelated), uid)
        assert txs == [(["raw_user_meta_data"], set(AUDIT))] and logs == []
    assert row_version(db, uid) == version
    assert_edit_intact(db, uid)
    _, _, logs = flow(db, recorder, lambda: db.auth.update_metadata(uid, {"full_name": None}), uid)
    assert logs == [("update", "supabase_auth", ["full_name"])]  # a null deletes the key
    assert db.user(uid)["full_name"] is None
    assert_mirrors_auth(db, uid)


@pytest.mark.parametrize("secure", [True, False])
def test_email_change_lands_at_its_confirmation(db, recorder, secure):
    uid = db.auth.email_signup("old@example.com")
    edit_profile(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.request_email_change(uid, "New@Example.com"), uid)
    assert txs == [(["email_change email_change_confirm_status email_change_sent_at email_change_token_current"
                     " email_change_token_new"], {*TOKEN_SENT, *AUDIT})]  # fmt: skip
    assert logs == [] and db.user(uid)["email"] == "old@example.com"
    _, txs, logs = flow(db, recorder, lambda: db.auth.confirm_email_change(uid, secure=secure), uid)
    first_link = [(["email_change_confirm_status email_change_token_current email_change_token_new"],
                   {TOKENS_CLEARED})]  # fmt: skip
    assert txs == (first_link if secure else []) + [
        (
            [EMAIL_CHANGED, "raw_app_meta_data", "last_sign_in_at"],
            {*AUDIT, "identities UPDATE", TOKENS_CLEARED, *SESSION},
        ),
    ]
    assert logs == [("update", "supabase_auth", ["email", "last_sign_in_at"])]
    assert db.user(uid)["email"] == "new@example.com"
    assert_edit_intact(db, uid)
    assert_mirrors_auth(db, uid)


def test_ban_writes_nothing(db, recorder):
    uid = db.auth.email_signup("eve@example.com")
    before, version = db.user(uid), row_version(db, uid)
    _, txs, logs = flow(db, recorder, lambda: db.auth.ban(uid), uid)
    assert txs == [(["banned_until"], set(AUDIT))]
    assert logs == [] and db.user(uid) == before and row_version(db, uid) == version


# --- deletions -------------------------------------------------------------------------------


@pytest.mark.parametrize("signup", ["email", "phone"])
def test_soft_delete_tombstones_and_never_copies_the_hashes(db, recorder, signup):
    if signup == "email":
        uid = db.auth.email_signup("frank@example.com", {"full_name": "Frank", "avatar_url": "https://x.example/f.png"})
    else:
        uid = db.auth.phone_signup("4915112345670", {"full_name": "Frank"})
    db.auth.update_metadata(uid, {"full_name": "Franklin"})
    _, txs, _logs = flow(db, recorder, lambda: db.auth.soft_delete(uid), uid)
    assert txs == [
        (
            [SOFT_DELETE, "raw_user_meta_data", "raw_app_meta_data"],
            {*AUDIT, TOKENS_CLEARED, "sessions DELETE", "identities UPDATE", "mfa_factors DELETE"},
        ),
    ]
    email, phone = db.one("select email, phone from auth.users where id = %s", (uid,))
    assert (len(email), len(phone)) == (43, 15)  # hashes, even of an empty email or phone
    user = db.user(uid)
    assert user["deleted_at"] is not None and not user["is_active"]
    assert (user["email"], user["phone_number"], user["full_name"], user["avatar_url"]) == (None, None, None, None)
    assert [log["sync_type"] for log in db.logs(uid)] == ["delete"]  # the rest of their log is erased
    assert email not in str(db.logs(uid)) and "Frank" not in str(db.logs(uid))
    assert db.drift() == []


def test_hard_delete_is_one_statement(db, recorder):
    uid = db.auth.email_signup("gina@example.com", {"full_name": "Gina"})
    _, txs, _ = flow(db, recorder, lambda: db.auth.hard_delete(uid), uid)
    assert txs == [(["DELETE"], set(AUDIT))]
    user = db.user(uid)
    assert user["deleted_at"] is not None and user["email"] is None and user["full_name"] is None
    assert "Gina" not in str(db.logs(uid))
    assert db.drift() == []


def _old_anonymous_users(db, count: int) -> list[str]:
    users = [db.auth.anonymous_sign_in() for _ in range(count)]
    with db.connect("supabase_admin") as conn:
        conn.execute("update auth.users set created_at = created_at - interval '31 days' where id = any(%s)", (users,))
    return users


def test_purge_of_anonymous_users_as_the_docs_give_it(db, recorder):
    old = _old_anonymous_users(db, 3)
    recent = db.auth.anonymous_sign_in()
    recorder.clear()
    with db.connect() as conn:  # the project owner, in the SQL editor
        conn.execute("delete from auth.users where is_anonymous is true and created_at < now() - interval '30 days'")
    assert [(tx.shapes, tx.other) for tx in recorder.take()] == [(["DELETE"] * 3, set())]
    assert all(db.user(u)["deleted_at"] is not None for u in old) and db.user(recent)["deleted_at"] is None
    assert db.drift() == []


def test_auths_own_cleanup_of_anonymous_users(db, recorder):
    old = _old_anonymous_users(db, 2)
    recorder.clear()
    assert db.auth.cleanup_anonymous() == 2
    assert [(tx.shapes, tx.other) for tx in recorder.take()] == [(["DELETE"] * 2, set())]
    assert all(db.user(u)["deleted_at"] is not None for u in old)
    assert db.drift() == []


def test_soft_then_hard_delete_logs_one_deletion(db):
    uid = db.auth.email_signup("hal@example.com")
    db.auth.soft_delete(uid)
    db.auth.hard_delete(uid)
    assert [log["sync_type"] for log in db.logs(uid)] == ["delete"]


def test_reused_id_after_hard_delete_is_a_new_account(db):
    uid = db.auth.admin_create("first@example.com")
    db.auth.hard_delete(uid)
    db.auth.admin_create("second@example.com", user_id=uid)
    user = db.user(uid)
    assert user["email"] == "second@example.com" and user["deleted_at"] is None and user["is_active"]
    assert db.drift() == []


# --- beyond Auth's flows: other writers of auth.users ----------------------------------------


def test_sync_runs_inside_auths_transaction(db):
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        Transaction(conn).insert_user(id=str(uuid.uuid4()), email="rolled@back.example")
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
    uid = db.auth.email_signup("after-alter@example.com", {"full_name": "Still Synced"})
    assert db.user(uid)["full_name"] == "Still Synced"


def test_auth_users_stand_in_has_supabases_35_columns(db):
    count = "select count(*) from information_schema.columns where table_schema = 'auth' and table_name = 'users'"
    assert db.one(count)[0] == 35


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
    logged = len(db.logs(uid))
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "Middle"}\' where id = %s', (uid,))
        conn.execute("set constraints all immediate")  # fires the sync now, mid-transaction
        conn.execute("set constraints all deferred")
        conn.execute('update users set raw_user_meta_data = \'{"full_name": "After"}\' where id = %s', (uid,))
    assert db.user(uid)["full_name"] == "After"
    assert [log["after_data"] for log in db.logs(uid)[logged:]] == [{"full_name": "Middle"}, {"full_name": "After"}]


def test_a_user_created_and_deleted_in_one_transaction_leaves_nothing(db):
    uid = str(uuid.uuid4())
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        Transaction(conn).insert_user(id=uid, email="brief@example.com")
        conn.execute("delete from users where id = %s", (uid,))
    assert db.user(uid) is None and db.logs(uid) == []
    assert db.drift() == []
