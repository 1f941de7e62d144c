"""`nura-users legacy import` and `legacy verify`: the work is set-based SQL in the database
(nura.legacy_prepare, nura.legacy_import_batch, nura.legacy_verify); this runs the batches, one
transaction each, and reports."""

from __future__ import annotations

from collections import Counter
from typing import Callable

import psycopg

from .migrate import MigrateError

COUNTS = ("rows", "people", "created", "merged", "matched_to_auth", "profiles", "conflicts")
_IMPORT_LOCK = "select pg_try_advisory_lock(hashtextextended('nura-users legacy import', 0))"


def import_legacy(url: str, *, batch_size: int, dry_run: bool,
                  progress: Callable[[int, int, dict], None] = lambda *_: None) -> Counter:
    """Imports what is not imported yet, a batch per transaction, so a run after a crash carries on
    where it stopped. With dry_run everything happens in one transaction that is rolled back."""
    totals: Counter = Counter({name: 0 for name in COUNTS})
    with psycopg.connect(url, prepare_threshold=None) as conn:
        if not conn.execute(_IMPORT_LOCK).fetchone()[0]:
            raise MigrateError("another legacy import is running on this database")
        conn.commit()
        batches = conn.execute("select nura.legacy_prepare(p_batch_size => %s)", (batch_size,)).fetchone()[0]
        for batch in range(batches):
            if not dry_run:
                conn.commit()
            counts = conn.execute("select nura.legacy_import_batch(p_batch => %s)", (batch,)).fetchone()[0]
            totals.update(counts)
            progress(batch + 1, batches, counts)
        if dry_run:
            conn.rollback()
        else:
            conn.execute("truncate nura.legacy_rows")  # the plan is done with
            conn.commit()
    return totals


def verify_legacy(url: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("select legacy_table, legacy_id, field, value, problem from nura.legacy_verify()"
                            " order by 1, 2, 3").fetchall()
