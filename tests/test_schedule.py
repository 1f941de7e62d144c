"""`nura-users schedule`: the maintenance jobs in pg_cron, run by pg_cron itself and shown by
`status`; without pg_cron, the crontab lines that do the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres
from tests.support.database import FAST_SETTINGS, Database
from tests.support.debian import apt_install, can_install

PG_CRON = Path("/usr/share/postgresql/15/extension/pg_cron.control")
JOBS = {"nura-users check changes", "nura-users reconcile", "nura-users prune"}


@pytest.fixture(scope="module")
def cron_db():
    """A cluster of its own with pg_cron loaded, running its jobs in background workers, and a
    migrated Supabase-shaped database it serves (pg_cron serves one database per cluster)."""
    if not PG_CRON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("pg_cron is not installed: .ci/run installs postgresql-15-cron")
        if not can_install():
            pytest.skip("needs Debian's postgresql-15-cron")
        apt_install("postgresql-15-cron")
    pg = LocalPostgres.throwaway(
        settings=(
            *FAST_SETTINGS,
            "shared_preload_libraries=pg_cron",
            "cron.database_name=app",
            "cron.use_background_workers=on",
        )
    )
    pg.start()
    try:
        supabase_standin.install(pg.url(), "app")
        with psycopg.connect(pg.url(dbname="app"), autocommit=True) as conn:
            conn.execute("create extension pg_cron")
            conn.execute("grant usage on schema cron to postgres")
        installer.migrate(pg.url("postgres", "app"))
        yield Database(pg, "app")
    finally:
        pg.discard()


def _our_jobs(db) -> dict[str, tuple[str, str]]:
    with db.connect() as conn:
        return {
            name: (when, command)
            for name, when, command in conn.execute("select jobname, schedule, command from cron.job").fetchall()
        }


def test_without_pg_cron_it_prints_the_crontab_and_schedules_nothing(db, run):
    code, out, err = run(db, "schedule", "--prune-older-than", "30")
    assert code == 1 and err.count("\n") == 1 and "pg_cron is not installed" in err
    assert out.splitlines() == [
        "* * * * *  nura-users check --changes",
        "47 3 * * *  nura-users reconcile",
        "41 4 * * *  nura-users prune --older-than 30 --yes",
    ]
    assert "scheduled jobs: none, pg_cron is not installed here" in run(db, "status")[1]


def test_schedule_installs_the_jobs_once_and_status_shows_them(cron_db, run):
    db = cron_db
    with db.connect() as conn:  # a job an earlier release scheduled
        conn.execute("select cron.schedule('nura-users full check', '17 3 * * *', 'select 1')")
    code, out, _ = run(db, "schedule")
    assert code == 0 and out.count("scheduled: ") == 3 and "call nura.run_prune(90)" in out
    assert run(db, "schedule", "--prune-older-than", "30")[0] == 0  # again: updated in place
    jobs = _our_jobs(db)
    assert set(jobs) == JOBS and jobs["nura-users prune"] == ("41 4 * * *", "call nura.run_prune(30)")
    status = run(db, "status")[1]
    assert status.count("\njob nura-users ") == 3 and "not run yet" in status
    assert run(db, "schedule", "--remove")[1] == "removed 3 scheduled job(s)\n"
    assert _our_jobs(db) == {}
    assert "scheduled jobs: none (nura-users schedule installs them)" in run(db, "status")[1]


def test_pg_cron_runs_the_jobs_and_the_procedures_commit_batch_by_batch(cron_db, run):
    db = cron_db
    for i in range(3):
        db.auth.email_signup(f"cron{i}@example.com")
    with db.connect() as conn:
        conn.execute("update public.user_sync_logs set created_at = now() - interval '40 days'")
    with db.connect("supabase_admin") as conn:  # and a user whose row went missing behind our back
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from public.users where email = 'cron0@example.com'")
    assert run(db, "schedule", "--prune-older-than", "30")[0] == 0
    with db.connect() as conn:  # the batch jobs too, every minute, in batches of one row
        conn.execute("select cron.schedule('test reconcile', '* * * * *', 'call nura.run_reconcile(1)')")
        conn.execute("select cron.schedule('test prune', '* * * * *', 'call nura.run_prune(30, 1)')")
    try:
        deadline = time.monotonic() + 75  # pg_cron's schedules are by the minute
        while time.monotonic() < deadline:
            with db.connect() as conn:
                done = dict(
                    conn.execute(
                        "select j.jobname, d.status from cron.job_run_details d join cron.job j using (jobid)"
                        " where d.status in ('succeeded', 'failed')"
                    ).fetchall()
                )
            if {"nura-users check changes", "test reconcile", "test prune"} <= set(done):
                break
            time.sleep(1)
        with db.connect() as conn:
            failures = conn.execute(
                "select return_message from cron.job_run_details where status = 'failed'"
            ).fetchall()
        assert failures == []
        assert {"nura-users check changes", "test reconcile", "test prune"} <= set(done)
    finally:
        with db.connect() as conn:
            conn.execute("select cron.unschedule(jobname) from cron.job where jobname like 'test %'")
    assert db.one("select count(*) from public.users where email = 'cron0@example.com'")[0] == 1  # reconciled
    assert db.one("select count(*) from public.user_sync_logs where created_at < now() - interval '30 days'")[0] == 0
    assert db.drift() == []
    assert db.one("select changes_checked_at is not null from nura.check_state")[0]
    assert "last run succeeded" in run(db, "status")[1]
