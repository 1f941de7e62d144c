"""`legacy switch` and `legacy repoint`: the views that keep unchanged services working over the
normalized users, writes through them, and the way back, byte for byte."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from glue import cli
from glue.legacy import import_legacy, verify_legacy
from tests.support import legacy_data

ADA_CHAT, ADA_VOICE, BOB_1, BOB_2, CAROL = (uuid.uuid4() for _ in range(5))


@pytest.fixture
def moved(db, monkeypatch):
    """Legacy tables with a conversations table depending on chat_users, imported, and the CLI
    pointed at the database."""
    db.auth.email_signup("ada@example.com", {"full_name": "Ada Lovelace"})
    with db.connect() as conn:
        legacy_data.create_tables(conn)
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT_EXTRA,
            [
                (
                    ADA_CHAT,
                    " ADA@Example.com ",
                    "Ada L.",
                    "+44 20 7946 0000",
                    "$2b$a",
                    {"show_email": False},
                    {"email": True},
                    True,
                    "2023-01-01T00:00:00Z",
                    "en",
                ),
                (
                    BOB_1,
                    "bob@example.com",
                    "Bob",
                    "0044 20 7946 0001",
                    "$2b$b",
                    None,
                    {"email": True},
                    True,
                    "2023-02-01T00:00:00Z",
                    None,
                ),
                (BOB_2, "BOB@example.com", "Bob Two", None, "$2b$b2", None, None, False, "2023-03-01T00:00:00Z", "de"),
                (CAROL, None, "Carol", None, "$2b$c", None, None, None, "2023-04-01T00:00:00Z", None),
            ],
        )
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [(ADA_VOICE, "Ada", "ada@example.com", None, "$2b$av", "2022-01-01T00:00:00Z", "alloy", 42)],
        )
        legacy_data.insert(
            conn,
            "custom_users",
            legacy_data.CUSTOM_EXTRA,
            [(BOB_1, None, 7, 120, "red"), (uuid.uuid4(), "Nobody", 1, 10, None), (None, "No id", 1, 1, "blue")],
        )
        for who in (ADA_CHAT, BOB_1, BOB_2, BOB_2, CAROL, None):
            conn.execute("insert into public.conversations (user_id, body) values (%s, 'hi')", (who,))
        conn.execute("grant select, update on public.chat_users to nura_service")
    import_legacy(db.url(), batch_size=10, dry_run=False)
    assert [p for p in verify_legacy(db.url()) if p[1] is not None] == []
    monkeypatch.setenv("MIGRATE_DATABASE_URL", db.url())
    return db


def _snapshot(db) -> dict:
    """Every legacy table as COPY writes it, its columns, indexes, constraints and privileges."""
    with db.connect() as conn:
        shot = {}
        for table in ("chat_users", "voice_users", "custom_users", "conversations"):
            with conn.cursor().copy(f"copy (select * from public.{table} order by 1, 2) to stdout") as copy:
                shot[table] = b"".join(copy)
            shot[table, "catalog"] = conn.execute(
                "select c.oid, c.relkind, c.relacl::text,"
                " (select array_agg((a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull)::text"
                "                   order by a.attnum) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0),"
                " (select array_agg(pg_get_constraintdef(k.oid) order by k.conname) from pg_constraint k"
                "  where k.conrelid = c.oid),"
                " (select array_agg(pg_get_indexdef(i.indexrelid) order by i.indexrelid) from pg_index i"
                "  where i.indrelid = c.oid)"
                " from pg_class c where c.oid = %s::regclass",
                (f"public.{table}",),
            ).fetchone()
        return shot


def test_switch_and_back_round_trips_byte_for_byte(moved, run):
    db = moved
    before = _snapshot(db)
    code, out, _ = run(db, "legacy", "switch")
    assert code == 0 and out.count("switched: a view") == 3
    assert db.one("select relkind from pg_class where oid = 'public.chat_users'::regclass")[0] == "v"
    assert run(db, "legacy", "switch", "--table", "chat_users")[1] == "chat_users: already switched\n"
    code, out, _ = run(db, "status")
    assert "legacy chat_users: switched" in out and "legacy custom_users: switched" in out

    code, out, _ = run(db, "legacy", "switch", "--back")
    assert code == 0 and out.count("switched back") == 3
    assert _snapshot(db) == before
    assert run(db, "legacy", "switch", "--back", "--table", "voice_users")[1] == "voice_users: not switched\n"
    assert "legacy chat_users: the table" in run(db, "status")[1]


def test_the_views_read_the_normalized_users_with_the_tables_privileges(moved):
    db = moved
    ada = db.one("select id from auth.users where email = 'ada@example.com'")[0]
    privileges = (
        "select array_agg(a::text order by a::text) from pg_class c, aclexplode(c.relacl) a"
        " where c.oid = 'public.chat_users'::regclass and a.grantee::regrole::text not in ('anon', 'authenticated')"
    )
    acl = db.one(privileges)[0]
    assert cli.main(["legacy", "switch"]) == 0
    assert db.one(privileges)[0] == acl
    with db.connect() as conn:
        conn.row_factory = psycopg.rows.dict_row
        row = conn.execute("select * from public.chat_users where id = %s", (ADA_CHAT,)).fetchone()
        # Ada's account won her name; the phone is E.164; the hash and the extra column stay
        assert row == {
            "id": ADA_CHAT,
            "email": "ada@example.com",
            "full_name": "Ada Lovelace",
            "phone_number": "+442079460000",
            "password_hash": "$2b$a",
            "privacy_settings": {"show_email": False},
            "notification_prefs": {"email": True},
            "is_active": True,
            "created_at": row["created_at"],
            "locale": "en",
        }
        assert conn.execute("select name, preferred_voice, call_minutes from public.voice_users").fetchone() == {
            "name": "Ada Lovelace",
            "preferred_voice": "alloy",
            "call_minutes": 42,
        }
        bob = conn.execute(
            "select full_name, xp, team from public.custom_users where user_id = %s", (BOB_1,)
        ).fetchone()
        assert bob == {"full_name": "Bob", "xp": 120, "team": "red"}
        # a row that maps to no one shows what the table holds
        assert conn.execute("select full_name, team from public.custom_users where user_id is null").fetchone() == {
            "full_name": "No id",
            "team": "blue",
        }
    # a filter on the id reaches the kept table's primary key
    plan = "\n".join(r[0] for r in db.all(f"explain select * from public.chat_users where id = '{ADA_CHAT}'"))
    assert "chat_users_pkey" in plan and "Seq Scan on legacy_chat_users" not in plan
    # a key another service wrote with a type the column cannot hold shows the table's value
    db.one("select nura.set_service_metadata(%s, 'voice', '{\"call_minutes\": \"lots\"}')", (ada,))
    assert db.one("select call_minutes, preferred_voice from public.voice_users")[0:2] == (42, "alloy")


def test_the_views_are_for_services_not_the_api_roles(moved, run):
    db = moved
    with db.connect() as conn:
        conn.execute("create role chat_service login")
        conn.execute("grant select, update on public.chat_users to chat_service")
        conn.execute("create role legacy_reader login")
        conn.execute("grant select on public.voice_users to legacy_reader")
    code, out, _ = run(db, "legacy", "switch")
    assert (
        code == 0
        and "voice_users: switched" in out
        and "legacy_reader cannot read it until granted nura_service" in out
    )
    for role in ("anon", "authenticated"):  # Supabase's default privileges had given them everything
        assert db.one("select has_table_privilege(%s, 'public.chat_users', 'select')", (role,)) == (False,)
    with db.connect() as conn:
        conn.execute("grant nura_service to chat_service")
    with psycopg.connect(db.url("chat_service"), autocommit=True) as conn:
        assert conn.execute("select full_name from public.chat_users where id = %s", (BOB_2,)).fetchone() == ("Bob",)
        conn.execute("update public.chat_users set full_name = 'Bobby' where id = %s", (BOB_2,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update public.users set full_name = 'direct' where id = %s", (BOB_1,))
    assert db.user(str(BOB_1))["full_name"] == "Bobby"
    with (
        psycopg.connect(db.url("legacy_reader"), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select * from public.voice_users")


def test_a_table_with_row_level_security_policies_is_not_switched(moved, run):
    db = moved
    with db.connect() as conn:
        conn.execute("alter table public.voice_users enable row level security")
        conn.execute("create policy own on public.voice_users for all to authenticated using (id = auth.uid())")
    code, _, err = run(db, "legacy", "switch")
    assert code == 1 and "voice_users has row level security policies" in err and err.count("\n") == 1
    assert db.one("select relkind from pg_class where oid = 'public.chat_users'::regclass")[0] == "r"


def test_writes_through_the_views_land_in_both_and_go_back(moved, run):
    db = moved
    before = _snapshot(db)
    assert cli.main(["legacy", "switch"]) == 0
    bob = db.one("select user_id from nura.legacy_user_map where legacy_id = %s", (BOB_1,))[0]
    last_log = db.one("select max(id) from public.user_sync_logs")[0]
    with db.connect() as conn:
        conn.execute(
            "update public.chat_users set full_name = 'Robert', phone_number = '0049 171 1234567',"
            " notification_prefs = '{\"sms\": true}', privacy_settings = null, password_hash = '$2b$new',"
            " locale = 'fr', is_active = true where id = %s",
            (BOB_1,),
        )
        conn.execute("update public.custom_users set xp = 500, team = 'green' where user_id = %s", (BOB_1,))
        # an ORM writing back every column as read changes nothing
        conn.execute("update public.chat_users set email = email, full_name = full_name where id = %s", (BOB_2,))
    user = db.user(str(bob))
    assert (user["full_name"], user["phone_number"], user["privacy_settings"], user["is_active"], user["xp"]) == (
        "Robert",
        "+491711234567",
        {},
        True,
        500,
    )
    assert db.one(
        "select service_preferences, service_metadata from public.user_service_profiles"
        " where user_id = %s and service_type = 'chat'",
        (bob,),
    ) == ({"sms": True}, {"locale": "fr"})
    changes = db.all("select user_id, sync_type, source from public.user_sync_logs where id > %s", (last_log,))
    assert sorted(changes) == [
        (bob, "backend_update", "backend_api"),
        (bob, "backend_update", "backend_api"),
        (bob, "profile_update", "backend_api"),
        (bob, "service_update", "backend_api"),
    ]
    # the other row of the same person shows the new values too
    assert db.one("select full_name from public.chat_users where id = %s", (BOB_2,))[0] == "Robert"
    assert [p for p in verify_legacy(db.url()) if p[1] is not None] == []

    assert cli.main(["legacy", "switch", "--back"]) == 0
    after = _snapshot(db)
    assert after["chat_users", "catalog"] == before["chat_users", "catalog"]
    assert db.one(
        "select full_name, phone_number, notification_prefs, privacy_settings, password_hash, locale,"
        " is_active from public.chat_users where id = %s",
        (BOB_1,),
    ) == ("Robert", "0049 171 1234567", {"sms": True}, None, "$2b$new", "fr", True)
    assert db.one("select xp, team from public.custom_users where user_id = %s", (BOB_1,)) == (500, "green")
    # nothing else moved
    with db.connect() as conn:
        conn.execute(
            "update public.chat_users set (full_name, phone_number, notification_prefs, password_hash,"
            " locale, is_active) = ('Bob', '0044 20 7946 0001', '{\"email\": true}', '$2b$b', null, true)"
            " where id = %s",
            (BOB_1,),
        )
        conn.execute("update public.custom_users set xp = 120, team = 'red' where user_id = %s", (BOB_1,))
    assert _snapshot(db) == before


@pytest.mark.parametrize(
    "statement, code",
    [
        ("update public.chat_users set email = 'thief@example.com' where id = '{bob}'", "PT403"),
        ("update public.chat_users set id = gen_random_uuid() where id = '{bob}'", "PT400"),
        ("update public.chat_users set phone_number = '0171 1234567' where id = '{bob}'", "PT400"),
        ("update public.chat_users set full_name = repeat('x', 201) where id = '{bob}'", "PT400"),
        ("update public.chat_users set notification_prefs = '[1]' where id = '{bob}'", "PT400"),
        ("insert into public.chat_users (id, email) values (gen_random_uuid(), 'new@example.com')", "PT403"),
        ("delete from public.chat_users where id = '{bob}'", "PT403"),
        ("update public.custom_users set team = 'x' where user_id is null", "PT400"),
        ("update public.custom_users set team = 'x' where user_id = '{bob}'", "PT400"),  # two rows of Bob's
    ],
)
def test_what_the_views_refuse_changes_nothing(moved, statement, code):
    db = moved
    with db.connect() as conn:
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM_EXTRA, [(BOB_1, None, 3, 1, "blue")])
    import_legacy(db.url(), batch_size=10, dry_run=False)
    assert cli.main(["legacy", "switch"]) == 0
    before = (
        _snapshot(db),
        db.all("select * from public.users order by id"),
        db.one("select count(*) from public.user_sync_logs"),
    )
    with db.connect() as conn, pytest.raises(psycopg.Error) as error:
        conn.execute(statement.format(bob=BOB_1))
    assert error.value.sqlstate == code
    assert (
        _snapshot(db),
        db.all("select * from public.users order by id"),
        db.one("select count(*) from public.user_sync_logs"),
    ) == before


def test_switch_waits_for_a_complete_import(moved, run):
    db = moved
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [(uuid.uuid4(), "Late", "late@example.com", None, "$2b$l", "2024-01-01T00:00:00Z", None, None)],
        )
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM_EXTRA, [(BOB_2, None, 1, 1, "x")])
    code, _, err = run(db, "legacy", "switch")
    assert code == 1 and "voice_users is not fully imported: legacy verify finds 1 problem(s) in it" in err
    assert "legacy import" in err and err.count("\n") == 1
    for table in ("chat_users", "voice_users", "custom_users"):  # all or none
        assert db.one(f"select relkind from pg_class where oid = 'public.{table}'::regclass")[0] == "r"
    with db.connect() as conn:
        conn.execute("delete from public.voice_users where name = 'Late'")
        conn.execute("delete from public.custom_users where team = 'x'")
    # a write waiting to commit when the switch starts is seen by its check
    writer = psycopg.connect(db.url())
    writer.execute("update public.chat_users set full_name = 'Changed Later' where id = %s", (CAROL,))
    switching = threading.Thread(target=lambda: results.append(run(db, "legacy", "switch")))
    results: list = []
    switching.start()
    time.sleep(1)
    writer.commit()
    writer.close()
    switching.join(30)
    assert results[0][0] == 1 and "chat_users is not fully imported" in results[0][2]
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "voice_users",
            legacy_data.VOICE,
            [(uuid.uuid4(), "Late", "late@example.com", None, "$2b$l", "2024-01-01T00:00:00Z", None, None)],
        )
    # a run imports the new row and the changed one: since the import the user's row is the truth, so
    # a changed value it holds another of is recorded as a conflict
    totals = import_legacy(db.url(), batch_size=10, dry_run=False)
    assert (totals["rows"], totals["created"], totals["conflicts"]) == (2, 1, 1)
    assert db.user(str(CAROL))["full_name"] == "Carol"
    assert db.all("select field, kept_value, other_value from nura.legacy_conflicts where user_id = %s", (CAROL,)) == [
        ("full_name", "Carol", "Changed Later")
    ]
    assert import_legacy(db.url(), batch_size=10, dry_run=False)["rows"] == 0
    assert run(db, "legacy", "switch")[0] == 0


def test_repoint_follows_adoption_and_goes_back_row_by_row(moved, run):
    db = moved
    before = _snapshot(db)
    bob = db.one("select user_id from nura.legacy_user_map where legacy_id = %s", (BOB_1,))[0]
    code, out, err = run(db, "legacy", "repoint", "conversations.user_id")
    assert (code, out, err) == (
        0,
        "conversations.user_id: 5 rows now hold user ids; its foreign key references "
        "public.users (on update cascade)\n",
        "",
    )
    assert db.all("select user_id from public.conversations where user_id is not null order by id") == [
        (db.one("select user_id from nura.legacy_user_map where legacy_id = %s", (ADA_CHAT,))[0],),
        (bob,),
        (bob,),
        (bob,),
        (CAROL,),
    ]
    assert "legacy repoint public.conversations.user_id: user ids" in run(db, "status")[1]
    assert run(db, "legacy", "repoint", "conversations.user_id")[1].endswith("already repointed, nothing to do\n")
    with db.connect() as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("insert into public.conversations (user_id, body) values (%s, 'legacy id')", (BOB_2,))

    # Bob signs up: his row takes the auth id, and his conversations follow
    bob_account = db.auth.email_signup("bob@example.com")
    assert db.one("select count(*) from public.conversations where user_id = %s", (bob_account,))[0] == 3

    code, out, err = run(db, "legacy", "repoint", "conversations.user_id", "--back")
    assert (code, out, err) == (
        0,
        "conversations.user_id: 5 rows hold their legacy ids again; its foreign key is back as it was\n",
        "",
    )
    assert _snapshot(db) == before  # each row its own id, BOB_1 and BOB_2 apart
    assert run(db, "legacy", "repoint", "conversations.user_id", "--back")[1].endswith("not repointed, nothing to do\n")


def test_repoint_back_refuses_rows_of_people_who_signed_up_after(moved, run):
    db = moved
    assert cli.main(["legacy", "switch", "--table", "chat_users"]) == 0  # a switched table works the same
    assert cli.main(["legacy", "repoint", "public.conversations.user_id"]) == 0
    newcomer = db.auth.email_signup("new@example.com")
    with db.connect() as conn:
        conn.execute("insert into public.conversations (user_id, body) values (%s, 'hello')", (newcomer,))
    code, _, err = run(db, "legacy", "repoint", "conversations.user_id", "--back")
    assert code == 1 and "1 rows of public.conversations point at users with no chat_users row" in err
    assert "set user_id to null first" in err
    with db.connect() as conn:
        conn.execute("update public.conversations set user_id = null where user_id = %s", (newcomer,))
    assert cli.main(["legacy", "repoint", "conversations.user_id", "--back"]) == 0
    assert (
        db.one(
            "select confrelid::regclass::text from pg_constraint where conrelid = 'public.conversations'::regclass"
            " and contype = 'f'"
        )[0]
        == "legacy_chat_users"
    )
    assert cli.main(["legacy", "switch", "--back"]) == 0
    assert (
        db.one(
            "select confrelid::regclass::text from pg_constraint where conrelid = 'public.conversations'::regclass"
            " and contype = 'f'"
        )[0]
        == "chat_users"
    )


@pytest.mark.parametrize(
    "target, message",
    [
        ("conversations", "not TABLE.COLUMN"),
        ("nowhere.user_id", "no table public.nowhere"),
        ("conversations.nothing", "has no column nothing"),
        ("conversations.body", "has no foreign key"),
        ("a.b.c.d", "not TABLE.COLUMN"),
    ],
)
def test_repoint_refuses_in_one_line(moved, run, target, message):
    code, _, err = run(moved, "legacy", "repoint", target)
    assert code == 1 and message in err and err.count("\n") == 1


def test_rollback_puts_the_tables_and_columns_back(moved, run):
    db = moved
    before = _snapshot(db)
    assert cli.main(["legacy", "switch"]) == 0
    assert cli.main(["legacy", "repoint", "conversations.user_id"]) == 0
    assert cli.main(["rollback", "--all", "--yes"]) == 0
    after = _snapshot(db)
    assert {k: v for k, v in after.items() if k != "conversations"} == {
        k: v for k, v in before.items() if k != "conversations"
    }
    assert after["conversations"] == before["conversations"]


def test_repoint_back_when_the_primary_key_holds_the_column(moved):
    db = moved
    with db.connect() as conn:
        conn.execute(
            "create table public.memberships (user_id uuid references public.chat_users (id)"
            " on update restrict on delete cascade deferrable initially deferred, grp integer,"
            " primary key (user_id, grp))"
        )
        conn.execute("insert into public.memberships values (%s, 1), (%s, 2), (%s, 1)", (BOB_1, BOB_2, CAROL))
    before = db.all("select * from public.memberships order by grp, user_id")
    foreign_keys = (
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = 'public.memberships'::regclass and contype = 'f'"
    )
    foreign_key = db.all(foreign_keys)
    assert cli.main(["legacy", "repoint", "memberships.user_id"]) == 0
    assert "ON DELETE CASCADE" in db.all(foreign_keys)[0][1]  # kept, pointing at public.users
    db.auth.email_signup("bob@example.com")  # Bob's rows follow his new id
    assert cli.main(["legacy", "repoint", "memberships.user_id", "--back"]) == 0
    assert db.all("select * from public.memberships order by grp, user_id") == before
    assert db.all(foreign_keys) == foreign_key


def test_rows_imported_before_their_digest_was_kept_are_imported_once_more(moved):
    db = moved
    with db.connect() as conn:
        conn.execute("update nura.legacy_user_map set row_digest = null")
        conn.execute("update public.chat_users set full_name = 'Carol Changed' where id = %s", (CAROL,))
    again = import_legacy(db.url(), batch_size=10, dry_run=False)
    assert again["rows"] == db.one("select count(*) from nura.legacy_user_map")[0] and again["conflicts"] == 1
    assert [p for p in verify_legacy(db.url()) if p[1] is not None] == []
    assert import_legacy(db.url(), batch_size=10, dry_run=False)["rows"] == 0


def test_rolling_back_the_switch_migration_alone_then_migrating_again(moved, run):
    db = moved
    assert (
        run(db, "legacy", "switch", "--table", "voice_users")[1]
        == "voice_users: switched: a view over the normalized users; the table is kept as public.legacy_voice_users\n"
    )
    for migration in (
        "0012.tombstones-counted-by-statement",
        "0011.legacy-email-index",
        "0010.update-event-per-statement",
        "0009.incremental-check",
        "0008.sync-log-retention",
        "0007.legacy-primary-keys",
        "0006.legacy-adoption",
        "0005.erasure",
        "0004.legacy-switch",
    ):
        assert run(db, "rollback", "--yes")[:2] == (0, f"rolled back: {migration}\n")
    assert db.one("select relkind from pg_class where oid = 'public.voice_users'::regclass")[0] == "r"
    assert cli.main(["migrate"]) == 0
    assert import_legacy(db.url(), batch_size=10, dry_run=False)["rows"] > 0  # digests are new: all once more
    assert [p for p in verify_legacy(db.url()) if p[1] is not None] == []
