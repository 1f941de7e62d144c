"""Prometheus metrics, all named nura_*: request durations measured here, and what the database
knows (sync events by source and outcome, users, drift), read on a schedule by one thread on a
connection of its own, never per scrape. What it reads costs what was written since its last read,
not the number of users: the incremental drift check (nura.check_changes), which also keeps the
sync log's and the users' counts that nura.sync_metrics and nura.user_counts read.

Under several workers (PROMETHEUS_MULTIPROC_DIR set by `nura-users serve`), request durations
are summed across workers from prometheus_client's per-process files, and one worker (holding a
lock file there) reads the database for all of them, leaving the figures in that folder.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("nura_users.metrics")

DRIFT_PROBLEMS = ("trigger_missing", "missing", "stale", "orphaned", "failed", "adoption_blocked")
FIRST_READ_WAIT_SECONDS = 5
# The first read after a long pause goes over everything written meanwhile.
SNAPSHOT_STATEMENT_TIMEOUT = "120s"

_SNAPSHOT = """
select jsonb_build_object(
    'sync', (select coalesce(jsonb_agg(jsonb_build_object(
                 'source', m.source, 'succeeded', m.succeeded, 'failed', m.failed,
                 'last_failure_at', extract(epoch from m.last_failure_at))), '[]')
             from nura.sync_metrics m),
    'users', (select coalesce(jsonb_agg(u), '[]') from nura.user_counts u),
    'drift', (select coalesce(jsonb_object_agg(d.problem, d.n), '{}')
              from (select c.problem, count(*) as n from nura.check_changes() c group by c.problem) d),
    'read_at', extract(epoch from now()))
"""


class Metrics:
    def __init__(self, db, refresh_seconds: float):
        shared_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.registry = None if shared_dir else CollectorRegistry()
        self.request_seconds = Histogram(
            "nura_http_request_duration_seconds",
            "HTTP requests by route and status, and how long they took",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.database = DatabaseSnapshot(db, refresh_seconds, Path(shared_dir) if shared_dir else None)
        if self.registry is not None:
            self.registry.register(self.database)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_seconds.labels(method, route, str(status)).observe(seconds)

    def registry_for_scrape(self) -> CollectorRegistry:
        self.database.start()
        if self.registry is not None:
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self.database)
        return registry

    def close(self) -> None:
        self.database.stop()
        self.database.db.close()


class DatabaseSnapshot(Collector):
    """The database's figures, refreshed every `interval` seconds by a thread started at the first
    scrape; a failed read keeps the last figures and counts the failure. `db` is its own."""

    def __init__(self, db, interval: float, shared_dir: Path | None):
        self.db, self.interval, self.shared_dir = db, interval, shared_dir
        self.snapshot: dict | None = None
        self.failures = 0
        self.reads_database = shared_dir is None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._first_read = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self.db.open()
                self._thread = threading.Thread(target=self._run, name="nura-metrics", daemon=True)
                self._thread.start()
        self._first_read.wait(FIRST_READ_WAIT_SECONDS)

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.reads_database:
                self.reads_database = self._elected()
            if self.reads_database:
                try:
                    self.snapshot = self.db.as_service(_SNAPSHOT, statement_timeout=SNAPSHOT_STATEMENT_TIMEOUT)
                    if self.shared_dir:
                        shared = self.shared_dir / "nura-database.json"
                        shared.with_suffix(".tmp").write_text(json.dumps(self.snapshot))
                        shared.with_suffix(".tmp").replace(shared)
                except Exception as e:  # a metrics thread must outlive any one failure
                    self.failures += 1
                    log.warning("reading the database's metrics failed: %s", e)
            self._first_read.set()
            self._stopping.wait(self.interval)

    def _elected(self) -> bool:
        """Whether this worker is the one that reads the database: the one holding the lock file
        (until it exits, when another takes over)."""
        self._lock_file = open(self.shared_dir / "nura-database.lock", "a")  # noqa: SIM115 - held open: it holds the lock
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            self._lock_file.close()
            return False

    def _current(self) -> dict | None:
        if self.reads_database:
            return self.snapshot
        try:
            return json.loads((self.shared_dir / "nura-database.json").read_text())
        except (OSError, ValueError):
            return None

    def collect(self):
        failures = CounterMetricFamily("nura_metrics_read_failures", "Failed reads of the database's metrics")
        failures.add_metric([], self.failures)
        yield failures
        snapshot = self._current()
        if snapshot is None:
            return
        events = CounterMetricFamily(
            "nura_sync_events", "Sync log rows by source and outcome", labels=["source", "outcome"]
        )
        last_failure = GaugeMetricFamily(
            "nura_sync_last_failure_timestamp_seconds", "When the sync from a source last failed", labels=["source"]
        )
        for m in snapshot["sync"]:
            events.add_metric([m["source"], "succeeded"], m["succeeded"])
            events.add_metric([m["source"], "failed"], m["failed"])
            if m["last_failure_at"]:
                last_failure.add_metric([m["source"]], float(m["last_failure_at"]))
        users = GaugeMetricFamily("nura_users", "Users by origin and state (live, deleted)", labels=["origin", "state"])
        for u in snapshot["users"]:
            users.add_metric([u["origin"], "live"], u["live"])
            users.add_metric([u["origin"], "deleted"], u["deleted"])
        drift = GaugeMetricFamily(
            "nura_drift_problems", "Drift problems known (nura.check_changes()), by kind", labels=["problem"]
        )
        for problem in sorted(set(DRIFT_PROBLEMS) | set(snapshot["drift"])):
            drift.add_metric([problem], snapshot["drift"].get(problem, 0))
        read_at = GaugeMetricFamily(
            "nura_database_metrics_read_timestamp_seconds", "When the figures above were read from the database"
        )
        read_at.add_metric([], float(snapshot["read_at"]))
        yield from (events, last_failure, users, drift, read_at)
