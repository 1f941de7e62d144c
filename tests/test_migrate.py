"""`nura-users migrate` / `rollback` / `status` / `check` / `reconcile` as users run them: through
the command, configured by the environment, as the non-superuser `postgres` of hosted Supabase."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest

from glue.dev import supabase_standin
from glue.dev.supabase_standin import Transaction

ROOT = Path(__file__).resolve().parent.parent
OUR_TRIGGERS = {
    "tg_auth_users__sync_insert",
    "tg_auth_users__sync_bulk_insert",
    "tg_auth_users__sync_bulk_update",
    "tg_auth_users__sync_update",
    "tg_auth_users__sync_delete",
}


def _catalog(db) -> list:
    """Everything of ours a migrate could change, by name and definition."""
    return db.all(
        "select 'function', p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid)), p.proacl::text"
        " from pg_proc p where p.pronamespace = 'nura'::regnamespace"
        " union all select 'trigger', tgname, md5(pg_get_triggerdef(oid)), null from pg_trigger"
        " where tgrelid = 'auth.users'::regclass"
        " union all select 'table', c.oid::regclass::text, c.relkind::text, c.relacl::text from pg_class c"
        " where c.relnamespace in ('nura'::regnamespace, 'public'::regnamespace)"
        " union all select 'policy', polname, pg_get_expr(polqual, polrelid), null from pg_policy"
        " order by 1, 2"
    )


def _ours_left(db) -> list:
    return db.all(
        "select 'trigger', tgname from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal"
        " union all select 'schema', nspname from pg_namespace where nspname in ('nura', 'nura_migrations')"
        " union all select 'table', relname from pg_class where relnamespace = 'public'::regnamespace"
        " union all select 'function', proname from pg_proc where pronamespace = 'public'::regnamespace"
    )


def test_migrate_installs_backfills_and_is_idempotent(bare_db, run):
    existing = bare_db.auth.email_signup("before@example.com", {"full_name": "Was Here First"})
    bare_db.auth.soft_delete(bare_db.auth.email_signup("gone@example.com"))
    code, out, _ = run(bare_db, "migrate")
    assert code == 0 and "0001.nura-core" in out and "1 users backfilled" in out
    assert bare_db.user(existing)["full_name"] == "Was Here First"
    assert bare_db.one("select count(*) from public.users")[0] == 1  # no row for the deleted one
    assert bare_db.logs(existing)[0]["source"] == "reconcile"
    catalog, logs = _catalog(bare_db), bare_db.one("select count(*) from public.user_sync_logs")[0]

    code, out, _ = run(bare_db, "migrate")
    assert code == 0 and "none pending" in out and "0 users" in out
    assert _catalog(bare_db) == catalog
    assert bare_db.one("select count(*) from public.user_sync_logs")[0] == logs
    assert bare_db.drift() == []


def test_migrate_runs_as_the_non_superuser_project_owner(bare_db, run):
    assert bare_db.one("select rolsuper from pg_roles where rolname = 'postgres'")[0] is False
    assert run(bare_db, "migrate")[0] == 0
    assert (
        bare_db.one("select pg_get_userbyid(relowner) from pg_class where oid = 'public.users'::regclass")[0]
        == "postgres"
    )


def test_migrate_refuses_without_auth_users(cluster, run):
    from tests.support.database import Database

    code, _, err = run(Database(cluster, "postgres"), "migrate")
    assert code == 1 and err.count("\n") == 1 and "auth.users does not exist" in err


def test_migrate_refuses_the_transaction_pooler(bare_db, run):
    pooler = "postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"
    code, _, err = run(bare_db, "migrate", MIGRATE_DATABASE_URL=pooler)
    assert code == 1 and "6543" in err and err.count("\n") == 1
    assert bare_db.one("select to_regnamespace('nura')")[0] is None


def test_missing_trigger_is_reported_and_reinstalled(db, run):
    with db.connect() as conn:
        conn.execute("drop trigger tg_auth_users__sync_update on auth.users")
    uid = db.auth.email_signup("t@example.com", autoconfirm=False)
    db.auth.confirm_email(uid)  # missed: the trigger is gone
    code, out, _ = run(db, "check")
    assert code == 1
    assert "trigger_missing" in out and "tg_auth_users__sync_update" in out
    assert f"stale\t{uid}" in out
    code, out, _ = run(db, "status")
    assert "tg_auth_users__sync_update on auth.users: MISSING" in out
    code, out, _ = run(db, "migrate")
    assert code == 0 and "1 users backfilled or repaired" in out
    assert run(db, "check")[:2] == (0, "no drift\n")
    assert db.user(uid)["email_confirmed_at"] is not None


@pytest.mark.parametrize("how", ["disable", "enable replica"])
def test_a_disabled_trigger_is_reported_and_enabled_again(db, run, how):
    with db.connect() as conn:
        conn.execute(f"alter table auth.users {how} trigger tg_auth_users__sync_insert")
    code, out, _ = run(db, "check")
    assert code == 1 and "trigger_missing" in out and "tg_auth_users__sync_insert" in out
    assert run(db, "migrate")[0] == 0
    assert run(db, "check")[0] == 0
    assert db.auth.email_signup("on-again@example.com")


def test_check_and_reconcile_commands(db, run):
    uid = db.auth.email_signup("orphan@example.com")
    with db.connect("supabase_admin") as conn:  # a delete that bypassed the triggers
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from auth.users where id = %s", (uid,))
    code, out, _ = run(db, "check")
    assert code == 1 and f"orphaned\t{uid}\t{{}}" in out
    code, out, _ = run(db, "reconcile")
    assert (code, out) == (0, "repaired 1 user(s)\n")
    assert db.user(uid)["deleted_at"] is not None
    assert run(db, "check")[0] == 0


def test_reconcile_command_runs_as_a_service_role(db, run):
    uid = db.auth.email_signup("svc-orphan@example.com")
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("delete from auth.users where id = %s", (uid,))
        conn.execute("create role reconciler login in role nura_service")
    try:
        assert run(db, "reconcile", DATABASE_URL=db.url("reconciler")) == (0, "repaired 1 user(s)\n", "")
    finally:
        with db.connect("supabase_admin") as conn:
            conn.execute("drop owned by reconciler")
            conn.execute("drop role reconciler")


def test_rows_not_from_auth_are_never_drift(db, run):
    with db.connect() as conn:
        conn.execute(
            "insert into public.users (id, email, origin) values (gen_random_uuid(), 'legacy@example.com',"
            " 'legacy_migration'), (gen_random_uuid(), 'hook@example.com', 'supabase_webhook')"
        )
    assert run(db, "check")[0] == 0
    assert run(db, "reconcile")[1] == "repaired 0 user(s)\n"


def test_status_reports_migrations_triggers_drift_and_success(db, run):
    db.auth.email_signup("s@example.com")
    code, out, _ = run(db, "status")
    assert code == 0
    assert "migrations applied: 0001.nura-core, 0002.webhook-order" in out and "migrations pending: none" in out
    assert all(f"{t} on auth.users: present" in out for t in OUR_TRIGGERS)
    assert "drift: 0" in out and "sync from supabase_auth: 2/2 succeeded" in out  # signup, session


def test_rollback_refuses_to_drop_rows_then_removes_everything(db, run):
    uid = db.auth.email_signup("keep@example.com")
    with db.connect() as conn:
        conn.execute("insert into nura.legacy_user_map values ('chat_users', %s, %s, 'digest')", (uid, uid))
    assert run(db, "rollback")[:2] == (0, "rolled back: 0012.tombstones-counted-by-statement\n")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0011.legacy-email-index\n")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0010.update-event-per-statement\n")
    db.auth.sign_in(uid)  # an event for every row again, as the release before had it
    assert db.user(uid)["last_sign_in_at"] is not None and db.drift() == []
    assert run(db, "rollback")[:2] == (0, "rolled back: 0009.incremental-check\n")  # counts and findings only
    assert run(db, "status")[0] == 0 and run(db, "check")[0] == 0  # the counts' readers are guarded
    with db.connect() as conn:  # and so is reconcile, batched or not
        assert conn.execute("select * from nura.reconcile_batch(null, 10)").fetchone() == (None, 0)
        conn.execute("call nura.run_reconcile()")
    assert db.one("select live from nura.user_counts")[0] == 1
    assert run(db, "rollback")[:2] == (0, "rolled back: 0008.sync-log-retention\n")
    assert run(db, "status")[0] == 0  # the sync's counts read the newer table guarded
    assert run(db, "rollback")[:2] == (0, "rolled back: 0007.legacy-primary-keys\n")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0006.legacy-adoption\n")
    assert run(db, "check")[0] == 0  # what this release reads of the newer tables is guarded
    db.auth.hard_delete(db.auth.email_signup("between@example.com"))
    assert db.one("select count(*) from public.user_sync_logs where not success")[0] == 0
    assert run(db, "rollback")[:2] == (0, "rolled back: 0005.erasure\n")
    code, _, err = run(db, "rollback")
    assert code == 1 and "nura.legacy_user_map.row_digest" in err and err.count("\n") == 1
    with db.connect() as conn:
        conn.execute("update nura.legacy_user_map set row_digest = null")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0004.legacy-switch\n")
    code, _, err = run(db, "rollback")
    assert code == 1 and "nura.legacy_user_map" in err and err.count("\n") == 1
    with db.connect() as conn:
        conn.execute("delete from nura.legacy_user_map")
        conn.execute("update public.users set auth_updated_at = now()")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0003.legacy-import\n")
    code, _, err = run(db, "rollback")
    assert code == 1 and "public.users.auth_updated_at" in err and "--yes" in err and err.count("\n") == 1
    with db.connect() as conn:
        conn.execute("update public.users set auth_updated_at = null")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0002.webhook-order\n")
    code, _, err = run(db, "rollback")
    assert code == 1 and "public.users" in err and err.count("\n") == 1
    assert db.user(uid)["email"] == "keep@example.com"

    code, out, _ = run(db, "rollback", "--all", "--yes")
    assert (code, out) == (0, "rolled back: 0001.nura-core\n")
    assert _ours_left(db) == []
    assert db.one("select count(*) from pg_roles where rolname = 'nura_service'")[0] == 1  # other databases use it
    uid = db.auth.email_signup("after@example.com", {"full_name": "Still Works"})
    assert db.one("select email from auth.users where id = %s", (uid,))[0] == "after@example.com"

    assert run(db, "rollback", "--all")[1] == "nothing to roll back\n"
    assert run(db, "migrate")[0] == 0  # and back again, backfilling the signup made meanwhile
    assert db.user(uid)["full_name"] == "Still Works"


def test_rollback_of_an_empty_install_needs_no_yes(bare_db, run):
    assert run(bare_db, "migrate")[0] == 0
    assert run(bare_db, "rollback", "--all")[0] == 0
    assert _ours_left(bare_db) == []


def test_connection_errors_never_print_the_password(run, bare_db):
    code, _, err = run(bare_db, "check", DATABASE_URL="postgresql//postgres:S3cretPw@db.example.co:5432/postgres")
    assert code == 1 and err.count("\n") == 1 and "S3cretPw" not in err


def test_bad_command_line_is_one_line_and_non_zero():
    done = subprocess.run(
        [sys.executable, "-m", "glue.cli", "rollback", "--everything"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stdout == ""
    done = subprocess.run(
        [sys.executable, "-m", "glue.cli", "status"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if "DATABASE_URL" not in k},
    )
    assert (done.returncode, done.stderr) == (1, "nura-users: error: DATABASE_URL is not set\n")


def test_works_installed_from_a_wheel_in_any_directory(bare_db, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "glue/sql/migrations/0001.nura-core.rollback.sql" in names
    assert "glue/sql/plpgsql/sync/auth.users.tg_auth_users__sync_insert.sql" in names
    assert "glue/api/routes/users.py" in names and "glue/sql/plpgsql/service_api/nura.user_counts.sql" in names
    # the dev console, and the JS client it serves
    assert {
        "glue/dev/console/static/index.html",
        "glue/dev/console/client/index.js",
        "glue/dev/console/client/react.js",
    } <= set(names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "DATABASE_URL": bare_db.url()}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import glue.cli, glue.api.app, glue.dev.console, sys;"
            " print(glue.cli.__file__); print(glue.dev.console.client_dir());"
            " sys.exit(glue.cli.main(['migrate']))",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(site))
    assert done.stdout.splitlines()[1] == str(site / "glue" / "dev" / "console" / "client")
    assert bare_db.one("select to_regclass('public.users') is not null")[0]


def test_status_before_migrate_shows_everything_pending(bare_db, run):
    code, out, _ = run(bare_db, "status")
    assert code == 0
    assert "migrations applied: none" in out and "migrations pending: 0001.nura-core, 0002.webhook-order" in out
    assert all(f"{t} on auth.users: MISSING" in out for t in OUR_TRIGGERS)


def _auth_users_the_triggers_never_saw(db, count: int) -> list[str]:
    ids = [str(uuid.UUID(int=i + 1)) for i in range(count)]  # in id order
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("set search_path = auth")
        for i, uid in enumerate(ids):
            Transaction(conn).insert_user(id=uid, email=f"before{i}@example.com")
    return ids


def test_the_backfill_goes_in_batches_and_a_run_cut_short_carries_on(db, run):
    _auth_users_the_triggers_never_saw(db, 60)
    on_first_page = db.one("select count(*) from auth.users where ctid < '(1,0)'")[0]
    pages = db.one("select pg_relation_size('auth.users') / current_setting('block_size')::int")[0]
    assert 0 < on_first_page < 60 and pages > 1
    with db.connect() as conn:  # the first batch commits, then the run is killed
        assert conn.execute("select * from nura.backfill_users(null, 1)").fetchone() == (1, on_first_page, pages)
    assert db.one("select count(*) from public.users")[0] == on_first_page
    assert run(db, "reconcile")[:2] == (0, f"repaired {60 - on_first_page} user(s)\n")
    assert db.one("select count(*) from public.users")[0] == 60 and db.drift() == []
    with db.connect() as conn:
        assert conn.execute("select * from nura.backfill_users(%s, 1)", (pages - 1,)).fetchone() == (None, 0, pages)
        with pytest.raises(psycopg.Error, match="pages") as bad:
            conn.execute("select * from nura.backfill_users(0, 0)")
        assert bad.value.sqlstate == "PT400"


_LEGACY_EMAIL_INDEX = (
    "select i.indisvalid, pg_get_indexdef(i.indexrelid) like '%WHERE (origin = ''legacy_migration''::text)'"
    " from pg_index i where i.indexrelid = to_regclass('public.users_legacy_email_idx')"
)


def test_an_index_built_concurrently_that_a_crash_left_half_built_is_built_again(db, run):
    # a build cut short leaves an invalid index behind; the next migrate drops and builds it
    assert run(db, "rollback")[:2] == (0, "rolled back: 0012.tombstones-counted-by-statement\n")
    assert run(db, "rollback")[:2] == (0, "rolled back: 0011.legacy-email-index\n")
    db.auth.email_signup("one@example.com")
    db.auth.email_signup("another@example.com")
    with psycopg.connect(db.url(), autocommit=True) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("create unique index concurrently users_legacy_email_idx on public.users (is_active)")
    assert db.one(_LEGACY_EMAIL_INDEX) == (False, False)
    code, out, _ = run(db, "migrate")
    assert code == 0 and "0011.legacy-email-index" in out
    assert db.one(_LEGACY_EMAIL_INDEX) == (True, True)


def _stale_users(db, count: int) -> list[str]:
    """Users whose row of ours a write behind the sync's back left stale, in id order."""
    ids = sorted(db.auth.email_signup(f"stale{i}@example.com") for i in range(count))
    with db.connect("supabase_admin") as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("update public.users set email = 'behind.' || email where id = any(%s::uuid[])", (ids,))
    return ids


def test_reconcile_repairs_in_batches_and_a_run_cut_short_carries_on(db, run):
    ids = _stale_users(db, 7)
    assert len(db.all("select * from nura.check_all()")) == 7
    with db.connect() as conn:  # the first batch commits, then the run is killed
        assert conn.execute("select * from nura.reconcile_batch(null, 3)").fetchone() == (uuid.UUID(ids[2]), 3)
    assert [u["email"].startswith("behind.") for u in map(db.user, ids)] == [False] * 3 + [True] * 4
    assert db.one("select count(*) from nura.check_changes()")[0] == 4  # the repaired are no longer known
    assert run(db, "reconcile")[:2] == (0, "repaired 4 user(s)\n")
    assert db.drift() == [] and db.one("select count(*) from nura.check_changes()")[0] == 0


@pytest.mark.parametrize("batch", ["backfill", "reconcile"])
def test_auth_writes_never_wait_for_a_batch(db, batch):
    signed_up = db.auth.email_signup("early@example.com")
    if batch == "backfill":
        _auth_users_the_triggers_never_saw(db, 3)
        statement = "select created from nura.backfill_users(null, 100)"
    else:
        _stale_users(db, 3)
        db.all("select * from nura.check_all()")
        statement = "select repaired from nura.reconcile_batch(null, 100)"
    url = db.url("supabase_auth_admin")
    impatient = supabase_standin.AuthServer(url + ("&" if "?" in url else "?") + "options=-c%20lock_timeout%3D3s")
    with psycopg.connect(db.url()) as conn:  # a batch, not committed yet
        assert conn.execute(statement).fetchone() == (3,)
        newcomer = impatient.email_signup("during@example.com")
        impatient.sign_in(signed_up)
    assert db.user(newcomer) is not None and db.drift() == []


def test_a_backfill_batch_creates_at_most_5000_users_whatever_the_pages_hold(db):
    with db.connect("supabase_admin") as conn:  # 6,000 users the triggers never saw
        conn.execute("set session_replication_role = replica")
        conn.execute(
            "insert into auth.users (instance_id, id, aud, role, email, created_at, updated_at, is_sso_user,"
            " is_anonymous) select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', 'many' || i || '@example.com', now(), now(), false, false"
            " from generate_series(1, 6000) i"
        )
    pages = db.one("select pg_relation_size('auth.users') / current_setting('block_size')::int")[0]
    with db.connect() as conn:
        page, created, _ = conn.execute("select * from nura.backfill_users(0, %s)", (pages,)).fetchone()
        assert created == 5000 and 0 < page < pages  # carries on from the page it stopped at
        assert conn.execute("select * from nura.backfill_users(%s, %s)", (page, pages)).fetchone()[:2] == (None, 1000)
    assert db.one("select count(*) from public.users")[0] == 6000 and db.drift() == []
