"""Installing nura-users into a database: yoyo migrations for state, plpgsql/ for behaviour.

yoyo runs a post-apply hook only when a migration is pending, so the PL/pgSQL definitions are
re-applied here on every `migrate`; that is also what reinstalls triggers a Supabase CLI diff or
restore dropped. The pending migrations and the definitions are applied in one transaction (yoyo's
steps, on yoyo's connection): a running sync sees the old release or the new one, never a mix,
and a failure leaves the old one whole.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from yoyo import get_backend, read_migrations

from . import schedule
from .config import yoyo_url
from .errors import OperatorError
from .legacy import legacy_state
from .progress import progress_line
from .resources import sql_dir

# yoyo's bookkeeping tables live in their own schema, away from the API-exposed `public`.
MIGRATIONS_SCHEMA = "nura_migrations"
# What a plpgsql/ file defines, by what it creates, in the order they are applied: views and
# triggers need the functions (function bodies are checked at commit, so their order is free).
_KINDS = (
    ("function", re.compile(r"^create or replace (function|procedure) ", re.I | re.M)),
    ("view", re.compile(r"^create or replace view ", re.I | re.M)),
    ("trigger", re.compile(r"^select nura\.install_trigger\(", re.I | re.M)),
)
RETIRED = "retired.sql"
# The upgrade waits this long for a lock (a long query holding a table), then gives it up and
# tries again, so signups never queue behind it for longer; after LOCK_ATTEMPTS it fails.
LOCK_TIMEOUT = "2s"
LOCK_ATTEMPTS = 30


class MigrateError(OperatorError):
    pass


@dataclass
class MigrateReport:
    applied: list[str]
    definitions: int
    repaired: int


@dataclass
class Status:
    applied: list[str]
    pending: list[str]
    triggers: dict[str, bool] = field(default_factory=dict)
    drift: int | None = None
    full_check_at: datetime | None = None
    unsettled_log_rows: int | None = None  # log ids past the incremental check's watermark
    sync_metrics: list[dict] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)
    jobs: list[str] | None = None  # None: no pg_cron


def _migrations():
    return read_migrations(str(sql_dir("migrations")))


def _backend(url: str):
    return get_backend(yoyo_url(url, MIGRATIONS_SCHEMA))


def _kind(path: Path) -> str:
    text = path.read_text()
    for kind, creates in _KINDS:
        if creates.search(text):
            return kind
    raise MigrateError(
        f"plpgsql/{path.relative_to(sql_dir('plpgsql'))} defines no function, procedure, view or trigger"
    )


def plpgsql_files() -> list[Path]:
    """Every definition in plpgsql/ (any folder), functions first, then views, then triggers, and
    retired.sql last: what they replace is dropped in the same transaction."""
    root = sql_dir("plpgsql")
    definitions = sorted(f for f in root.rglob("*.sql") if f.name != RETIRED)
    order = [kind for kind, _ in _KINDS]
    return [*sorted(definitions, key=lambda f: order.index(_kind(f))), root / RETIRED]


def trigger_names() -> list[str]:
    """Our triggers on auth.users (the ones Supabase's tools can drop, which `status` reports)."""
    return sorted(f.stem.split(".")[-1] for f in sql_dir("plpgsql").rglob("auth.users.*.sql"))


def _require_auth_users(conn: psycopg.Connection) -> None:
    if conn.execute("select to_regclass('auth.users')").fetchone()[0] is None:
        raise MigrateError(
            "auth.users does not exist: point MIGRATE_DATABASE_URL at a Supabase database "
            "(or one with a Supabase-shaped auth schema)"
        )


def _has(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]


def _ours_installed(conn: psycopg.Connection) -> bool:
    return _has(conn, "nura.service_types")


def migrate(url: str) -> MigrateReport:
    with psycopg.connect(url, autocommit=True) as conn:
        _require_auth_users(conn)
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(MIGRATIONS_SCHEMA)))
        upgrade = _ours_installed(conn)

    backend = _backend(url)
    files = plpgsql_files()
    with backend.lock():  # one migrate at a time, definitions included
        # What cannot run in a transaction (an index built concurrently) is applied on its own:
        # on an upgrade before the transaction, so the new definitions never run without it; on
        # a fresh install after it, on the tables it has just made.
        alone = [m for m in backend.to_apply(_migrations()) if not _transactional(m)]
        if upgrade:
            _apply_alone(backend, alone)
        pending = _retrying(lambda: _apply(backend, files))
        if not upgrade:
            _apply_alone(backend, alone)
    with psycopg.connect(url, autocommit=True) as conn:
        _complete_erasure(conn)
        # After the transaction above, which locked auth.users: the backfill in batches, then
        # the repair of any other drift.
        repaired = reconcile(conn)
        count_sync_log(conn)
    return MigrateReport(
        applied=sorted(m.id for m in [*pending, *alone]), definitions=len(files) - 1, repaired=repaired
    )


def _retrying(apply):
    """apply(), tried again while a lock it needs stays held past LOCK_TIMEOUT (nothing of the
    attempt is left: its transaction rolled back, or yoyo undid a migration without one)."""
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            return apply()
        except psycopg.errors.LockNotAvailable:
            if attempt == LOCK_ATTEMPTS:
                raise MigrateError(
                    "a table stayed locked by another transaction the whole time: nothing more was "
                    "changed; try again once it has finished"
                ) from None
            time.sleep(min(attempt, 5))


def _apply_alone(backend, migrations) -> None:
    for migration in migrations:
        _retrying(lambda migration=migration: backend.apply_one(migration))


def _transactional(migration) -> bool:
    migration.load()
    return migration.use_transactions


def _apply(backend, files: list[Path]) -> list:
    """The pending migrations that run in a transaction (yoyo's own steps and bookkeeping) and
    every definition, in one transaction on yoyo's connection; returns those migrations."""
    pending = [m for m in backend.to_apply(_migrations()) if _transactional(m)]
    with backend.transaction():
        backend.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
        for migration in pending:
            migration.process_steps(backend, "apply")
            backend.log_migration(migration, "apply")
            backend.mark_one(migration, log=False)
        conn: psycopg.Connection = backend.connection
        # Bodies may name functions defined in a later file; they are all there by commit.
        conn.execute("set local check_function_bodies = off")
        for f in files:
            try:
                conn.execute(f.read_text())
            except psycopg.errors.LockNotAvailable:
                raise
            except psycopg.Error as e:
                raise MigrateError(f"plpgsql/{f.relative_to(sql_dir('plpgsql'))}: {e.diag.message_primary or e}") from e
    return pending


def backfill(conn: psycopg.Connection) -> int:
    """Creates the users auth.users has and public.users lacks, walking auth.users page by page
    in batches of about 5,000 users, each its own short transaction (conn is in autocommit), so
    a run cut short carries on and no Auth write waits for more than a batch. Shows progress on a
    terminal; returns how many users it created."""
    page, created = None, 0
    with progress_line() as show:
        while True:
            page, done, pages = conn.execute(
                "select next_page, created, of_pages from nura.backfill_users(%s, null)", (page,)
            ).fetchone()
            created += done
            if page is None:
                break
            show(f"backfill: {min(page, pages) * 100 // max(pages, 1)}% of auth.users, {created} users created")
    return created


REPAIR_BATCH = 1_000


def reconcile(conn: psycopg.Connection) -> int:
    """Repairs all drift in short transactions (conn is in autocommit): the backfill; a full
    check recorded (what the incremental one builds on, and the counts put right: after a
    restore with our triggers off, nothing counted the restored users); then the users it and
    the incremental checks since found, in batches walked by id. Returns how many it repaired."""
    repaired = backfill(conn)
    conn.execute("select count(*) from nura.check_all()")
    after, batches = None, 0
    with progress_line() as show:
        while True:
            after, done = conn.execute(
                "select last_id, repaired from nura.reconcile_batch(%s, %s)", (after, REPAIR_BATCH)
            ).fetchone()
            repaired += done
            if after is None:
                break
            batches += 1
            show(f"reconcile: {batches} batch(es) of up to {REPAIR_BATCH} drifted users, {repaired} repaired")
    return repaired


COUNT_SETTLE_ATTEMPTS = 50


def count_sync_log(conn: psycopg.Connection) -> None:
    """Brings the sync log's count (what nura.sync_metrics reads instead of the whole log) up to
    the log's end, through the incremental check, a short transaction per step of at most
    500,000 rows; a first count of a long log shows progress on a terminal. A step waits for
    the transactions running at the last one to end: while one stays open, this gives up quietly
    and the scheduled checks carry on from where it stopped."""
    end = conn.execute("select coalesce(max(id), 0) from public.user_sync_logs").fetchone()[0]
    counted, stalled = None, 0
    with progress_line() as show:
        while stalled < COUNT_SETTLE_ATTEMPTS:
            conn.execute("select count(*) from nura.check_changes()")
            now = conn.execute("select counted_through from nura.check_state").fetchone()[0]
            if now >= end:
                break
            stalled = stalled + 1 if now == counted else 0
            if stalled:
                time.sleep(0.1)
            counted = now
            show(f"counting the sync log: {now} of {end} rows")


_ERASURE_CHECK = "users_tombstone_holds_nothing_personal"


def _complete_erasure(conn: psycopg.Connection) -> None:
    """Tombstones made by releases that erased less are erased now, in batches walked by id, and
    then the table's check is validated (it holds for new rows from the moment it was added).
    Once it is, there is nothing to do here."""
    validated = conn.execute(
        "select convalidated from pg_catalog.pg_constraint where conrelid = 'public.users'::regclass and conname = %s",
        (_ERASURE_CHECK,),
    ).fetchone()
    if validated is None or validated[0]:
        return
    after = None
    while (
        after := conn.execute(
            "select nura.erase_old_tombstones(p_after => %s::uuid, p_limit => 10000)", (after,)
        ).fetchone()[0]
    ) is not None:
        pass
    conn.execute(sql.SQL("alter table public.users validate constraint {}").format(sql.Identifier(_ERASURE_CHECK)))


_DROP_TABLE = re.compile(r"^\s*drop\s+table\s+(?:if\s+exists\s+)?([\w.]+)", re.I | re.M)
_DROP_COLUMN = re.compile(r"^\s*alter\s+table\s+([\w.]+)\s+drop\s+column\s+(?:if\s+exists\s+)?(\w+)", re.I | re.M)


# Tables of what the checks found and counted (the next full check, or migrate, finds and counts
# them again): never user data.
_BOOKKEEPING = {"nura.drift_problems", "nura.check_state", "nura.sync_log_counts", "nura.user_count_changes"}


def _data_dropped_by(migration) -> list[tuple[str, str | None]]:
    """What a migration's rollback drops that can hold user data: (table, None) for a table it
    drops by name, (table, column) for a column. (Tables that go with a dropped schema, like
    nura.service_types, hold only configuration.)"""
    path = Path(migration.path)
    rollback = path.with_name(path.name[: -len(".sql")] + ".rollback.sql")
    text = rollback.read_text() if rollback.exists() else ""
    return [(t, None) for t in _DROP_TABLE.findall(text) if t not in _BOOKKEEPING] + _DROP_COLUMN.findall(text)


def _holding_data(conn: psycopg.Connection, dropped: list[tuple[str, str | None]]) -> list[str]:
    full = []
    for table, column in dropped:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
            continue
        where = sql.SQL("where {} is not null").format(sql.Identifier(column)) if column else sql.SQL("")
        if conn.execute(sql.SQL("select exists (select from {} {})").format(sql.SQL(table), where)).fetchone()[0]:
            full.append(f"{table}.{column}" if column else table)
    return full


def rollback(url: str, *, everything: bool, yes: bool) -> list[str]:
    backend = _backend(url)
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("select to_regnamespace(%s)", (MIGRATIONS_SCHEMA,)).fetchone()[0] is None:
            return []
    with backend.lock():
        targets = backend.to_rollback(_migrations())
        if not everything:
            targets = targets[:1]
        if not targets:
            return []
        if not yes:
            with psycopg.connect(url) as conn:
                full = _holding_data(conn, [d for m in targets for d in _data_dropped_by(m)])
            if full:
                raise MigrateError(f"rolling back would drop data ({', '.join(full)}); pass --yes to drop it")
        backend.rollback_migrations(targets)
        left = backend.to_rollback(_migrations())
    if not left:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(MIGRATIONS_SCHEMA)))
    return [m.id for m in targets]


def status(url: str) -> Status:
    migrations = _migrations()
    with psycopg.connect(url, autocommit=True) as conn:
        _require_auth_users(conn)
        tracked = conn.execute("select to_regnamespace(%s)", (MIGRATIONS_SCHEMA,)).fetchone()[0] is not None
    pending = {m.id for m in (_backend(url).to_apply(migrations) if tracked else migrations)}
    result = Status(
        applied=[m.id for m in migrations if m.id not in pending], pending=[m.id for m in migrations if m.id in pending]
    )
    result.triggers = {t: False for t in trigger_names()}
    with psycopg.connect(url, autocommit=True) as conn:
        if _ours_installed(conn):  # without our functions there are none of our triggers either
            # the incremental check, which reads what changed since the last one, not every user
            # (an install a migration behind has only the full one)
            check = "check_changes" if _has(conn, "nura.check_state") else "check_consistency"
            drift = conn.execute(f"select problem, detail from nura.{check}()").fetchall()
            if check == "check_changes":
                result.full_check_at, result.unsettled_log_rows = conn.execute(
                    "select s.full_check_at, (select coalesce(max(l.id), 0) from public.user_sync_logs l)"
                    " - least(s.checked_through, s.counted_through) from nura.check_state s"
                ).fetchone()
            result.drift = len(drift)
            missing = {t for problem, detail in drift if problem == "trigger_missing" for t in detail["missing"]}
            result.triggers = {t: t not in missing for t in result.triggers}
            cur = conn.cursor(row_factory=dict_row)
            result.sync_metrics = cur.execute("select * from nura.sync_metrics order by source").fetchall()
            if _has(conn, "nura.legacy_repoints"):
                result.legacy = legacy_state(conn)
        if schedule.has_pg_cron(conn):
            result.jobs = schedule.scheduled(conn)
    return result
