"""`nura-users legacy ...`: the work is SQL in the database (nura.legacy_prepare,
nura.legacy_import_batch, nura.legacy_verify, nura.legacy_switch, nura.legacy_repoint); this runs
the import's batches, one transaction each, and reports."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import errors as pg_errors

from .errors import OperatorError

LEGACY_TABLES = ("chat_users", "voice_users", "custom_users")
MAX_CONNECTIONS = 4
COUNTS = ("rows", "people", "created", "merged", "matched_to_auth", "profiles", "conflicts", "deferred")
# People a batch defers (they changed while it ran) are imported by another pass over what is left.
PASSES = 3
_IMPORT_LOCK = "select pg_try_advisory_lock(nura.legacy_import_lock())"
_IMPORT_UNLOCK = "select pg_advisory_unlock(nura.legacy_import_lock())"


def import_legacy(
    url: str, *, batch_size: int, dry_run: bool, progress: Callable[[int, int, dict], None] = lambda *_: None
) -> Counter:
    """Imports what is not imported yet, a batch per transaction, so a run after a crash carries on
    where it stopped; batches hold disjoint people, so one connection per core runs them side by
    side. With dry_run each batch runs in a transaction that is rolled back."""
    totals: Counter = Counter({name: 0 for name in COUNTS})
    with psycopg.connect(url, prepare_threshold=None, autocommit=True) as conn:
        if not conn.execute(_IMPORT_LOCK).fetchone()[0]:
            raise OperatorError("another legacy import is running on this database")
        # The staged rows are a copy of every legacy row, personal data included: they live only
        # while the import runs, and go however it ends (the next import or `nura-users
        # reconcile` clears what a killed one left).
        try:
            for _ in range(1 if dry_run else PASSES):
                conn.execute(_CLEAR_STAGING)
                # the plan of the people and the rows staged with it are read in one snapshot
                batches = _retried(conn, _PREPARE, (batch_size,), keep=True, isolation="repeatable read")
                this_pass: Counter = Counter()
                if dry_run:
                    for batch in range(batches):
                        counts = _run_batch(conn, batch, keep=False)
                        this_pass.update(counts)
                        progress(batch + 1, batches, counts)
                else:
                    _run_side_by_side(url, batches, this_pass, progress)
                totals.update({k: v for k, v in this_pass.items() if k != "deferred"})
                totals["deferred"] = this_pass["deferred"]
                if not this_pass["deferred"]:
                    break
        finally:
            with contextlib.suppress(psycopg.Error):  # the connection is gone: the next import or reconcile clears them
                conn.execute(_CLEAR_STAGING)
            # released before the connection closes: the server frees a closed session's locks
            # only once its backend has gone, and a run right after would find it held
            with contextlib.suppress(psycopg.Error):
                conn.execute(_IMPORT_UNLOCK)
    return totals


_CLEAR_STAGING = "select nura.legacy_clear_staging()"
_BATCH = "select nura.legacy_import_batch(p_batch => %s)"
_PREPARE = "select nura.legacy_prepare(p_batch_size => %s)"
# A batch meets signups and profile writes: when people of it were adopted or deleted meanwhile,
# or an account's row was busy at its last step, it is rolled back whole and run again (and so is
# the plan, when a row it makes was made meanwhile by a transaction its snapshot cannot see).
_RETRY = (pg_errors.SerializationFailure, pg_errors.LockNotAvailable, pg_errors.DeadlockDetected)
BATCH_ATTEMPTS = 10


def _run_batch(conn: psycopg.Connection, batch: int, *, keep: bool) -> dict:
    """One batch in a transaction of its own (rolled back unless `keep`)."""
    return _retried(conn, _BATCH, (batch,), keep=keep)


def _retried(conn: psycopg.Connection, query: str, params: tuple, *, keep: bool, isolation: str | None = None):
    """One statement in a transaction of its own, run again when it met a concurrent change."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            with conn.transaction(force_rollback=not keep):
                if isolation:
                    conn.execute(f"set transaction isolation level {isolation}")
                return conn.execute(query, params).fetchone()[0]
        except _RETRY:
            if attempt == BATCH_ATTEMPTS:
                raise
            time.sleep(0.02 * attempt)
    raise AssertionError("unreachable")


def _run_side_by_side(url: str, batches: int, totals: Counter, progress) -> None:
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for batch in range(batches):
        todo.put(batch)
    finished: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            with psycopg.connect(url, prepare_threshold=None, autocommit=True) as conn:
                while not stop.is_set():
                    try:
                        batch = todo.get_nowait()
                    except queue.Empty:
                        return
                    finished.put(_run_batch(conn, batch, keep=True))
        except BaseException as e:  # handed to the main thread, which raises it
            finished.put(e)

    workers = [
        threading.Thread(target=work, name=f"legacy-import-{n}")
        for n in range(min(os.cpu_count() or 1, MAX_CONNECTIONS, batches))
    ]
    for worker in workers:
        worker.start()
    try:
        for done in range(1, batches + 1):
            counts = finished.get()
            if isinstance(counts, BaseException):
                raise counts
            totals.update(counts)
            progress(done, batches, counts)
    finally:
        stop.set()  # the others finish the batch they are in, and stop
        for worker in workers:
            worker.join()


def verify_legacy(url: str) -> list[tuple]:
    """nura.legacy_verify, a table per connection side by side."""

    def check(table: str) -> list[tuple]:
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(
                "select legacy_table, legacy_id, field, value, problem from nura.legacy_verify(%s) order by 2, 3",
                (table,),
            ).fetchall()

    with ThreadPoolExecutor(max_workers=len(LEGACY_TABLES)) as pool:
        return [problem for problems in pool.map(check, LEGACY_TABLES) for problem in problems]


# Renaming a table and rewriting a column wait for every query on them; never queue the whole
# application behind that for long.
_LOCK_TIMEOUT = "set local lock_timeout = '10s'"


def switch_legacy(url: str, tables: list[str], *, back: bool) -> list[tuple[str, str]]:
    """Switches the tables to views over the normalized users (or back), all in one transaction."""
    with psycopg.connect(url, prepare_threshold=None) as conn:
        conn.execute(_LOCK_TIMEOUT)
        return conn.execute("select legacy_table, outcome from nura.legacy_switch(%s, %s)", (tables, back)).fetchall()


def repoint_legacy(url: str, target: str, *, back: bool) -> int | None:
    """Rewrites [schema.]table.column from legacy ids to user ids (or back); None if there was
    nothing to do."""
    *table, column = target.split(".")
    if len(table) not in (1, 2) or not all(table) or not column:
        raise OperatorError(f"not TABLE.COLUMN: {target!r}")
    schema, name = table if len(table) == 2 else ("public", table[0])
    with psycopg.connect(url, prepare_threshold=None) as conn:
        conn.execute(_LOCK_TIMEOUT)
        relation = conn.execute(
            "select to_regclass(format('%%I.%%I', %s::text, %s::text))::text", (schema, name)
        ).fetchone()[0]
        if relation is None:
            raise OperatorError(f"no table {schema}.{name}")
        return conn.execute("select nura.legacy_repoint(%s::regclass, %s, %s)", (relation, column, back)).fetchone()[0]


def legacy_state(conn: psycopg.Connection) -> list[str]:
    """One line per legacy table present and per repointed column, for `status`."""
    lines = []
    for table in LEGACY_TABLES:
        switched, present = conn.execute(
            "select nura.legacy_switched(%s), nura.legacy_source(%s) is not null", (table, table)
        ).fetchone()
        if switched:
            lines.append(
                f"legacy {table}: switched (a view over the normalized users; the table is kept as legacy_{table})"
            )
        elif present:
            lines.append(f"legacy {table}: the table")
    for table, column, legacy_table, rows, when in conn.execute(
        "select format('%I.%I', table_schema, table_name), column_name, legacy_table, rows_rewritten, repointed_at"
        " from nura.legacy_repoints order by 1, 2"
    ):
        lines.append(
            f"legacy repoint {table}.{column}: user ids (was {legacy_table} ids; {rows} rows rewritten "
            f"{when:%Y-%m-%d %H:%M})"
        )
    return lines
