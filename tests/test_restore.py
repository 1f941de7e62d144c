"""A backup of auth and public restored into a migrated database comes back whole (every profile
field, service profile and log row) when restored as Supabase's CLI does it, with triggers off;
restored with our triggers on, it fails loudly and says how to do it."""

from __future__ import annotations

import subprocess

import pytest

from glue import migrate as installer
from glue.dev.localpg import SUPERUSER, bindir

TABLES = ("public.users", "public.user_service_profiles", "public.user_sync_logs", "auth.users")


def _contents(db) -> dict:
    return {t: db.all(f"select to_jsonb(t) from {t} t order by 1") for t in TABLES}


def _dump(db) -> str:
    done = subprocess.run(
        [
            str(bindir() / "pg_dump"),
            "-h",
            db.cluster.host,
            "-p",
            str(db.cluster.port),
            "-U",
            SUPERUSER,
            "--data-only",
            "-n",
            "auth",
            "-n",
            "public",
            db.name,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _psql(db, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(bindir() / "psql"),
            "-h",
            db.cluster.host,
            "-p",
            str(db.cluster.port),
            "-U",
            "postgres",
            "-d",
            db.name,
            "-v",
            "ON_ERROR_STOP=0",
        ],
        input=script,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def backup(db):
    ids = [db.auth.email_signup(f"r{i}@example.com", {"full_name": f"R{i}"}) for i in range(6)]
    with db.connect() as conn:
        for uid in ids:
            conn.execute('select nura.update_profile(%s, \'{"full_name": "Edited", "bio": "kept bio"}\')', (uid,))
        conn.execute("select nura.set_service_preferences(%s, 'chat', '{\"tone\": \"warm\"}')", (ids[0],))
        conn.execute("select nura.add_xp(%s, 7)", (ids[1],))
    db.auth.hard_delete(ids[2])
    return _contents(db), _dump(db)


def test_a_data_only_restore_with_triggers_off_brings_everything_back(db, bare_db, backup):
    """As Supabase's CLI restores (its data-only dumps start with this SET), then migrate."""
    contents, script = backup
    installer.migrate(bare_db.url())
    with bare_db.connect("supabase_admin") as conn:  # the CLI restores as a role allowed to set it
        conn.execute("grant set on parameter session_replication_role to postgres")
    done = _psql(bare_db, "set session_replication_role = replica;\n" + script)
    assert "ERROR" not in done.stderr, done.stderr
    installer.migrate(bare_db.url())  # nothing to repair
    assert _contents(bare_db) == contents
    assert bare_db.drift() == []
    uid = bare_db.auth.email_signup("after-restore@example.com")  # the log's sequence goes on
    assert [log["sync_type"] for log in bare_db.logs(uid)] == ["create", "update"]  # the signup, its session


def test_a_restore_with_our_triggers_on_fails_loudly_and_says_how(db, bare_db, backup):
    _, script = backup
    installer.migrate(bare_db.url())
    done = _psql(bare_db, script)
    assert "was made by the sync from its auth.users row, restored before it" in done.stderr
    assert "session_replication_role = replica" in done.stderr
