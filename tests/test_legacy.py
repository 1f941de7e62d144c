"""The legacy import: field by field on people built to cover each rule, then on seeded messy data
(verify clean, re-runs idempotent, --dry-run writes nothing, a crash mid-import resumes), and
adoption at signup."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres
from glue.legacy import import_legacy, verify_legacy
from tests.support import legacy_data
from tests.support.database import FAST_SETTINGS
from tests.support.pgkill import kill_server, postmaster


@pytest.fixture
def legacy_db(db):
    with db.connect() as conn:
        legacy_data.create_tables(conn)
    return db


def _import(db, **kwargs):
    return import_legacy(
        db.url(), batch_size=kwargs.pop("batch_size", 3), dry_run=kwargs.pop("dry_run", False), **kwargs
    )


def _conflicts(db, user_id) -> set[tuple]:
    return set(
        db.all(
            "select field, kept_value, kept_source, other_value, other_source from nura.legacy_conflicts"
            " where user_id = %s",
            (user_id,),
        )
    )


def _profile(db, user_id, service: str) -> tuple:
    return db.one(
        "select service_preferences, service_metadata from public.user_service_profiles"
        " where user_id = %s and service_type = %s",
        (user_id, service),
    )


def _everything(db) -> tuple:
    return tuple(
        db.one(f"select count(*) from {t}")[0]
        for t in (
            "public.users",
            "public.user_service_profiles",
            "public.user_sync_logs",
            "nura.legacy_user_map",
            "nura.legacy_conflicts",
        )
    )


def test_each_rule_field_by_field(legacy_db):
    db = legacy_db
    ada = db.auth.email_signup("ada@example.com", {"full_name": "Ada Lovelace"})
    sso = db.auth.oauth_signup("sso:acme", {"email": "eve@example.com", "sub": "e1"}, sso=True)
    ada_chat, ada_voice, bob_1, bob_2, carol, eve_voice, nobody = (uuid.uuid4() for _ in range(7))
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    ada_chat,
                    " ADA@Example.com ",
                    "Ada L.",
                    "+44 20 7946 0000",
                    "$2b$hash-a",
                    {"show_email": False},
                    {"email": True, "push": False},
                    False,
                    "2023-01-01T00:00:00Z",
                ),
                (
                    bob_1,
                    "bob@example.com",
                    "Bob One",
                    "0044 20 7946 0001",
                    "$2b$hash-b",
                    None,
                    {"email": True},
                    True,
                    "2023-02-01T00:00:00Z",
                ),
                (
                    bob_2,
                    "BOB@example.com\t",
                    "Bob Two",
                    "(020) 7946-0001",
                    "$2b$hash-b2",
                    None,
                    {"email": False},
                    False,
                    "2023-03-01T00:00:00Z",
                ),
                (carol, None, "Carol", None, "$2b$hash-c", None, None, None, "2023-04-01T00:00:00Z"),
            ],
        )
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [
                (
                    ada_voice,
                    "Ada",
                    "ada@example.com",
                    "020 7946 0000",
                    "$2b$hash-av",
                    "2022-01-01T00:00:00Z",
                    "alloy",
                    42,
                ),
                (
                    eve_voice,
                    "Eve",
                    "eve@example.com",
                    "+33 1 23 45 67 89",
                    "$2b$hash-e",
                    "2023-05-01T00:00:00Z",
                    None,
                    None,
                ),
            ],
        )
        legacy_data.insert(
            conn,
            "custom_users",
            legacy_data.CUSTOM,
            [(uuid.UUID(ada), "Ada C.", 3, 50), (bob_2, None, 7, 120), (nobody, "Nobody", 1, 10)],
        )

    totals = _import(db)
    assert (totals["rows"], totals["people"], totals["matched_to_auth"]) == (9, 5, 1)

    # Ada: the auth account wins her email and name; chat's phone (E.164), privacy and prefs; custom's xp
    user = db.user(ada)
    assert (
        user["email"],
        user["full_name"],
        user["phone_number"],
        user["privacy_settings"],
        user["xp"],
        user["current_streak"],
        user["is_active"],
        user["origin"],
    ) == ("ada@example.com", "Ada Lovelace", "+442079460000", {"show_email": False}, 50, 3, True, "supabase_auth")
    assert _profile(db, ada, "chat") == ({"email": True, "push": False}, {})
    assert _profile(db, ada, "voice") == ({}, {"preferred_voice": "alloy", "call_minutes": 42})
    assert _conflicts(db, ada) == {
        ("full_name", "Ada Lovelace", "auth", "Ada L.", "chat_users"),
        ("full_name", "Ada Lovelace", "auth", "Ada", "voice_users"),
        ("full_name", "Ada Lovelace", "auth", "Ada C.", "custom_users"),
        ("is_active", "true", "auth", "false", "chat_users"),  # an account's is_active stands
        ("phone_number", "+442079460000", "chat_users", "020 7946 0000", "voice_users"),  # no country code
    }
    # Bob: twice in chat_users under two spellings of one email; the earlier row's id and values
    bob = db.user(str(bob_1))
    assert (bob["email"], bob["full_name"], bob["phone_number"], bob["is_active"], bob["xp"], bob["origin"]) == (
        "bob@example.com",
        "Bob One",
        "+442079460001",
        False,
        120,
        "legacy_migration",
    )  # any chat false
    assert _profile(db, str(bob_1), "chat") == ({"email": True}, {})
    assert _conflicts(db, str(bob_1)) == {
        ("full_name", "Bob One", "chat_users", "Bob Two", "chat_users"),
        ("phone_number", "+442079460001", "chat_users", "(020) 7946-0001", "chat_users"),
        ("is_active", "false", "chat_users", "true", "chat_users"),
        ("chat.service_preferences", '{"email": true}', "chat_users", '{"email": false}', "chat_users"),
    }
    # Carol has no email: a person of her own; Eve shares an SSO account's email: not matched to it
    assert db.user(str(carol))["full_name"] == "Carol" and db.user(str(carol))["email"] is None
    eve = db.user(str(eve_voice))
    assert (eve["email"], eve["phone_number"], eve["origin"]) == ("eve@example.com", "+33123456789", "legacy_migration")
    assert db.user(sso)["email"] == "eve@example.com"
    # a custom row pointing at nobody is a person of its own
    assert (db.user(str(nobody))["full_name"], db.user(str(nobody))["xp"]) == ("Nobody", 10)

    assert db.all(
        "select legacy_table, legacy_id::text, user_id::text from nura.legacy_user_map order by 1, 2"
    ) == sorted(
        [
            ("chat_users", str(ada_chat), ada),
            ("chat_users", str(bob_1), str(bob_1)),
            ("chat_users", str(bob_2), str(bob_1)),
            ("chat_users", str(carol), str(carol)),
            ("custom_users", ada, ada),
            ("custom_users", str(bob_2), str(bob_1)),
            ("custom_users", str(nobody), str(nobody)),
            ("voice_users", str(ada_voice), ada),
            ("voice_users", str(eve_voice), str(eve_voice)),
        ]
    )
    # logged once per person, source legacy_migration, never a password hash
    logs = db.all("select user_id::text, after_data from public.user_sync_logs where source = 'legacy_migration'")
    assert sorted(u for u, _ in logs) == sorted([ada, str(bob_1), str(carol), str(eve_voice), str(nobody)])
    assert "$2b$" not in str(logs) and "$2b$" not in str(db.all("select * from nura.legacy_conflicts"))
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_messy_data_imports_whole_idempotently_and_verify_catches_a_loss(legacy_db, run):
    db = legacy_db
    emails = [f"auth{i}@example.com" for i in range(40)]
    for email in emails:
        db.auth.email_signup(email, {"full_name": f"Auth {email}"})
    with db.connect() as conn:
        legacy_data.load(conn, legacy_data.messy(seed=7, people=300, auth_emails=emails))

    before = _everything(db)
    dry = _import(db, dry_run=True, batch_size=40)
    assert dry["people"] > 300 and _everything(db) == before  # --dry-run writes nothing

    first = _import(db, batch_size=40)
    assert {k: first[k] for k in ("rows", "people", "created")} == {k: dry[k] for k in ("rows", "people", "created")}
    assert verify_legacy(db.url()) == [] and db.drift() == []
    after = _everything(db)
    again = _import(db, batch_size=7)
    assert again["rows"] == 0 and _everything(db) == after  # nothing twice, not even a log row
    assert db.one("select count(*) = count(distinct lower(email)) from public.users where email is not null")[0]

    assert run(db, "legacy", "verify")[0] == 0
    victim = db.one(
        "select user_id from nura.legacy_user_map m join public.users u on u.id = m.user_id"
        " where m.legacy_table = 'chat_users' and u.phone_number is not null limit 1"
    )[0]
    with db.connect() as conn:
        conn.execute("update public.users set phone_number = null where id = %s", (victim,))
    code, out, _ = run(db, "legacy", "verify")
    assert code == 1
    assert out.startswith("missing\t") and "\tphone_number\t" in out


def test_an_import_that_dies_midway_resumes_without_duplicates(legacy_db):
    db = legacy_db
    with db.connect() as conn:
        legacy_data.load(conn, legacy_data.messy(seed=3, people=120, auth_emails=[]))

    with pytest.raises(legacy_data.Interrupted):
        _import(db, batch_size=10, progress=legacy_data.interrupt_after(2))
    partial = db.one("select count(*) from nura.legacy_user_map")[0]
    assert partial > 0
    _import(db, batch_size=25)  # another batch size: the map says what is done
    assert verify_legacy(db.url()) == []
    rows = sum(
        db.one(f"select count(distinct {key}) from public.{table}")[0]
        for table, key in (("chat_users", "id"), ("voice_users", "id"), ("custom_users", "user_id"))
    )
    assert db.one("select count(*) from nura.legacy_user_map")[0] == rows
    assert (
        db.one("select count(*) from public.user_sync_logs where source = 'legacy_migration'")[0]
        == db.one("select count(*) from public.users where origin = 'legacy_migration'")[0]
    )


def test_a_legacy_person_who_signs_up_keeps_one_row(legacy_db):
    db = legacy_db
    grace = uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    grace,
                    "Grace@Example.com",
                    "Grace Hopper",
                    "+1 555 0100 999",
                    "$2b$h",
                    None,
                    {"email": True},
                    True,
                    "2023-01-01T00:00:00Z",
                )
            ],
        )
    _import(db)
    assert db.user(str(grace))["origin"] == "legacy_migration"
    new_id = db.auth.email_signup("grace@example.com", {"full_name": "Grace B. Hopper"})
    assert db.user(str(grace)) is None
    user = db.user(new_id)
    # the account's own fields from Auth; the name and number she had stay hers
    assert (
        user["email"],
        user["full_name"],
        user["phone_number"],
        user["origin"],
        user["email_confirmed_at"] is not None,
        user["created_at"].year,
    ) == ("grace@example.com", "Grace Hopper", "+15550100999", "supabase_auth", True, 2023)
    assert db.one("select count(*) from public.users where lower(email) = 'grace@example.com'")[0] == 1
    assert db.one("select user_id::text from nura.legacy_user_map where legacy_id = %s", (grace,))[0] == new_id
    assert _profile(db, new_id, "chat") == ({"email": True}, {})
    assert {log["sync_type"] for log in db.logs(new_id)} >= {"legacy_import", "update"}
    assert db.one("select count(*) from public.user_sync_logs where user_id = %s", (grace,))[0] == 0
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_without_legacy_tables_the_import_has_nothing_to_do(db, run, capsys):
    code, out, _ = run(db, "legacy", "import")
    assert code == 0 and "0 legacy rows" in out
    with pytest.raises(SystemExit) as exit_:
        run(db, "legacy", "import", "--batch-size", "0")
    assert exit_.value.code == 2 and "not a positive number" in capsys.readouterr().err


def test_an_account_made_while_the_import_runs_still_gives_one_row(legacy_db):
    db = legacy_db
    kim, lee = uuid.uuid4(), uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (kim, "kim@example.com", "Kim", None, "$2b$h", None, None, False, "2023-01-01T00:00:00Z"),
                (lee, "lee@example.com", "Lee", None, "$2b$h", None, None, True, "2023-01-01T00:00:00Z"),
            ],
        )
    with psycopg.connect(db.url()) as conn:
        with pytest.raises(psycopg.Error, match="in one snapshot") as refused:
            conn.execute("select nura.legacy_prepare(1)")  # read committed: a snapshot per statement
        assert refused.value.sqlstate == "PT400"
        conn.rollback()
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        batches = conn.execute("select nura.legacy_prepare(1)").fetchone()[0]
        conn.commit()
        conn.isolation_level = None  # the batches in read committed, as the import runs them
        kim_account = db.auth.email_signup("kim@example.com")  # after the plan, before its batch
        for batch in range(batches):
            conn.execute("select nura.legacy_import_batch(%s)", (batch,))
            conn.commit()
    lee_account = db.auth.email_signup("lee@example.com")  # after: adopts
    for email, account in (("kim@example.com", kim_account), ("lee@example.com", lee_account)):
        assert db.all("select id::text, origin, is_active from public.users where lower(email) = %s", (email,)) == [
            (account, "supabase_auth", True)
        ]
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_an_account_missing_its_row_gets_it_from_auth_not_from_legacy(legacy_db):
    db = legacy_db
    mia = db.auth.email_signup("mia@example.com", {"full_name": "Mia From Auth"})
    with db.connect() as conn:
        conn.execute("delete from public.user_sync_logs where user_id = %s", (mia,))
        conn.execute("delete from public.users where id = %s", (mia,))
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [(uuid.uuid4(), "mia@example.com", "Mia Legacy", None, "$2b$h", None, None, False, "2023-01-01T00:00:00Z")],
        )
    _import(db)
    user = db.user(mia)
    assert (user["origin"], user["full_name"], user["is_active"], user["email_confirmed_at"] is not None) == (
        "supabase_auth",
        "Mia From Auth",
        True,
        True,
    )
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_deleting_a_user_erases_their_legacy_conflicts_too(legacy_db):
    db = legacy_db
    ned = db.auth.email_signup("ned@example.com", {"full_name": "Ned"})
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [(uuid.uuid4(), "Secret Name", "ned@example.com", None, "$2b$h", "2023-01-01T00:00:00Z", None, None)],
        )
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM, [(None, "No One", 1, 1)])
    _import(db)
    assert _conflicts(db, ned) == {("full_name", "Ned", "auth", "Secret Name", "voice_users")}
    db.auth.hard_delete(ned)
    assert _conflicts(db, ned) == set()
    # the deleted user's values are erased, not missing; a custom row without a user_id is reported
    assert [(t, i, p) for t, i, _, _, p in verify_legacy(db.url())] == [("custom_users", None, "unmapped")]


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("+49 (0) 171 1234567", "+491711234567"),
        ("0049-171-1234567", "+491711234567"),
        ("(030) 123 4567", None),
        ("+1.555.010.0999", "+15550100999"),
        ("0171 1234567", None),
        ("+12", None),
    ],
)
def test_phones_are_made_e164_without_guessing(db, raw, e164):
    assert db.one("select nura.legacy_phone(%s)", (raw,))[0] == e164


def test_killing_the_server_mid_import_then_running_again_ends_complete():
    pg = LocalPostgres.throwaway()
    server = None
    try:
        pg.init()
        server = postmaster(pg, FAST_SETTINGS)
        supabase_standin.install(pg.url(), "app")
        url = pg.url("postgres", "app")
        installer.migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            legacy_data.create_tables(conn)
            legacy_data.load(conn, legacy_data.messy(seed=11, people=3000, auth_emails=[]))
        command = [sys.executable, "-m", "glue.cli", "legacy", "import", "--batch-size", "20"]
        env = {**os.environ, "MIGRATE_DATABASE_URL": url}
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
            for _ in range(5):
                assert run.stdout.readline().startswith("batch ")
            kill_server(pg, server)
            _, err = run.communicate(timeout=60)
        assert run.returncode == 1 and err.startswith("nura-users: error: ") and err.count("\n") == 1
        server = postmaster(pg, FAST_SETTINGS)  # crash recovery
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("select count(*) from nura.legacy_user_map").fetchone()[0] > 0
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert verify_legacy(url) == []
        with psycopg.connect(url, autocommit=True) as conn:
            rows = sum(
                conn.execute(f"select count(distinct {key}) from public.{table}").fetchone()[0]
                for table, key in (("chat_users", "id"), ("voice_users", "id"), ("custom_users", "user_id"))
            )
            assert conn.execute("select count(*) from nura.legacy_user_map").fetchone()[0] == rows
            # one row and one log row per person: nothing twice
            assert conn.execute(
                "select count(*) = count(distinct lower(email)) from public.users where email is not null"
            ).fetchone()[0]
            assert (
                conn.execute("select count(*) from public.user_sync_logs where source = 'legacy_migration'").fetchone()[
                    0
                ]
                == conn.execute("select count(*) from public.users where origin = 'legacy_migration'").fetchone()[0]
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        pg.discard()
