"""The batched commands carry on after a kill: `migrate`'s backfill, `reconcile` and `prune`,
SIGKILLed mid-run, and PostgreSQL itself stopped as by a crash (`pg_ctl stop -m immediate`), end,
once run again, in the state an uninterrupted run leaves. On a cluster of their own, since one of
them crashes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres
from tests.support.database import FAST_SETTINGS, Database

USERS = 30_000
MISSING = """
insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
    created_at, updated_at, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    'u' || g || '@resume.example', '{}', jsonb_build_object('full_name', 'User ' || g), now(), now(), false, false
from generate_series(1, %s) g
"""


@pytest.fixture
def crashable():
    pg = LocalPostgres.throwaway(settings=FAST_SETTINGS)
    pg.start()
    try:
        supabase_standin.install(pg.url(), "app")
        installer.migrate(pg.url("postgres", "app"))
        db = Database(pg, "app")
        with db.connect("supabase_admin") as conn:  # auth users our sync never saw, as before an install
            conn.execute("set session_replication_role = replica")
            conn.execute(MISSING, (USERS,))
        yield db
    finally:
        pg.discard()


def _command(db, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db.url(), "MIGRATE_DATABASE_URL": db.url()}
    return subprocess.Popen(
        [sys.executable, "-c", f"from glue.cli import main; raise SystemExit(main({list(args)!r}))"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _created(db) -> int:
    try:
        return db.one("select count(*) from public.users")[0]
    except psycopg.OperationalError:
        return -1


def _wait_until_part_done(db, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while (done := _created(db)) < 10_000:  # two batches or so
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the backfill never got going"
        time.sleep(0.05)
    return done


def _as_an_uninterrupted_run_leaves(db) -> None:
    assert db.one("select count(*) from public.users")[0] == USERS
    # one create per user, none twice, no failure
    assert db.all(
        "select sync_type, success, count(*), count(distinct user_id) from public.user_sync_logs group by 1, 2"
    ) == [("create", True, USERS, USERS)]
    assert db.drift() == []


def test_migrate_killed_mid_backfill_carries_on(crashable):
    db = crashable
    first = _command(db, "migrate")
    done = _wait_until_part_done(db, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert done < USERS and _created(db) < USERS  # cut short
    again = _command(db, "migrate")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    _as_an_uninterrupted_run_leaves(db)


def test_postgres_crashing_mid_backfill_loses_only_the_open_batch(crashable):
    db = crashable
    first = _command(db, "migrate")
    _wait_until_part_done(db, first)
    db.cluster.stop("immediate")  # as a crash: no checkpoint, the open batch's transaction lost
    first.wait(timeout=60)
    assert first.returncode != 0
    db.cluster.start()
    assert 0 < _created(db) < USERS
    again = _command(db, "migrate")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    _as_an_uninterrupted_run_leaves(db)


def test_prune_killed_mid_run_carries_on(crashable):
    db = crashable
    assert _command(db, "migrate").wait(timeout=300) == 0
    with db.connect() as conn:
        conn.execute("update public.user_sync_logs set created_at = now() - interval '40 days'")
    first = _command(db, "prune", "--older-than", "30", "--yes")
    deadline = time.monotonic() + 60
    while db.one("select count(*) from public.user_sync_logs")[0] == USERS:
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    totals = db.one("select total from nura.sync_metrics where source = 'reconcile'")
    again = _command(db, "prune", "--older-than", "30", "--yes")
    assert again.wait(timeout=300) == 0
    assert db.one("select count(*) from public.user_sync_logs")[0] == 0
    assert db.one("select total from nura.sync_metrics where source = 'reconcile'") == totals  # still counted


STALE = 5_000


def _stale(db) -> int:
    return db.one("select count(*) from public.users where email like 'behind.%'")[0]


def test_reconcile_killed_mid_repair_carries_on(crashable):
    db = crashable
    assert _command(db, "migrate").wait(timeout=300) == 0
    with db.connect("supabase_admin") as conn:  # users a write behind the sync's back left stale
        conn.execute("set session_replication_role = replica")
        conn.execute(
            "update public.users set email = 'behind.' || email"
            " where id in (select id from public.users order by md5(id::text) limit %s)",
            (STALE,),
        )
    first = _command(db, "reconcile")
    deadline = time.monotonic() + 60
    while _stale(db) > STALE - 1000:  # a batch or so repaired
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert 0 < _stale(db) < STALE  # cut short
    again = _command(db, "reconcile")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert _stale(db) == 0 and db.drift() == []
    # each stale user repaired once: one update of the address each, none twice
    assert db.one(
        "select count(*), count(distinct user_id) from public.user_sync_logs"
        " where sync_type <> 'create' and after_data ? 'email'"
    ) == (STALE, STALE)
