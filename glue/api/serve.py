"""`nura-users serve`: the API on Granian, a production WSGI server (its HTTP handled in Rust):
worker processes respawned if they fail, a bounded time to read request headers, a graceful stop
on SIGTERM/SIGINT that lets requests in flight finish.

Settings reach the workers through the environment, which they inherit: each worker imports the
app (and prometheus_client) itself, so several workers share metrics through
PROMETHEUS_MULTIPROC_DIR. WEB_CONCURRENCY sets the number of workers (default 1).
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading

import psycopg

from ..config import ApiSettings, ConfigError

# Eight threads keep one worker's interpreter busy without fighting over its lock; more measured
# slower (bench/http_bench.py).
THREADS_PER_WORKER = 8
HEADER_READ_TIMEOUT_MS = 30_000
GRACEFUL_STOP_SECONDS = 20


def check_database(settings: ApiSettings) -> None:
    """Refuse to start, in one line, where no request could succeed."""
    try:
        with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=10) as conn:
            migrated, can_act_as_user, can_serve = conn.execute(
                "select exists (select from pg_catalog.pg_namespace where nspname = 'nura'),"
                " pg_catalog.pg_has_role(current_user, 'authenticated', 'member'),"
                " (select count(*) = 3 and bool_and(pg_catalog.has_function_privilege(p.oid, 'execute'))"
                "         and pg_catalog.has_schema_privilege('nura', 'usage')"
                "  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
                "  where n.nspname = 'nura' and p.proname in ('sync_from_auth', 'check_consistency', 'check_changes'))"
            ).fetchone()
            role = conn.info.user
    except psycopg.OperationalError as e:
        raise ConfigError(f"cannot connect to DATABASE_URL: {str(e).strip().splitlines()[-1]}") from None
    if not migrated:
        raise ConfigError("the database has no nura schema: run nura-users migrate first")
    if not can_act_as_user:
        raise ConfigError(f"the role {role} cannot act as authenticated: grant authenticated to {role}")
    if not can_serve:
        raise ConfigError(f"the role {role} cannot call the service functions: grant nura_service to {role}")


def worker_app():
    """The app as each worker builds it, from the environment."""
    from .app import create_app

    return create_app(pool_size=THREADS_PER_WORKER, request_logger=RequestLogWriter(sys.stderr))


class RequestLogWriter:
    """Request log lines to `stream`, JSON per line. A request only queues its entry; one thread
    encodes and writes whatever has queued up at once (through `logging`, from the request
    threads, the log cost a third of the requests per second). Past QUEUE_LIMIT waiting entries
    (stderr blocked) new ones are counted and dropped rather than held; what is queued when the
    worker exits is written first."""

    QUEUE_LIMIT = 100_000

    def __init__(self, stream):
        self.stream = stream
        self.entries: queue.Queue = queue.Queue(self.QUEUE_LIMIT)
        self.dropped = 0
        threading.Thread(target=self._write_forever, name="nura-request-log", daemon=True).start()
        atexit.register(self._write_waiting)

    def __call__(self, entry: dict) -> None:
        try:
            self.entries.put_nowait(entry)
        except queue.Full:
            self.dropped += 1

    def _write_forever(self) -> None:
        while True:
            self._write_waiting([json.dumps(self.entries.get())])  # one, and all that wait behind it

    def _write_waiting(self, batch: list[str] | None = None) -> None:
        batch = batch or []
        while True:
            try:
                batch.append(json.dumps(self.entries.get_nowait()))
            except queue.Empty:
                break
        if self.dropped:
            batch.append(json.dumps({"dropped_log_entries": self.dropped}))
            self.dropped = 0
        if batch:
            self.stream.write("\n".join(batch) + "\n")
            self.stream.flush()


def _server_class():
    from granian.server import Server

    class ApiServer(Server):
        """Granian's server, safe against a second stop signal: its handler sets a threading.Event,
        and a signal arriving while the first handler held the Event's lock deadlocked the server
        for good (a double Ctrl-C hung `nura-users dev`; 1 in 5 bursts of SIGTERM in our test)."""

        def signal_handler_interrupt(self, *args, **kwargs):
            if not self.interrupt_signal:
                super().signal_handler_interrupt(*args, **kwargs)

    return ApiServer


def _workers_from_env() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise ConfigError(f"WEB_CONCURRENCY must be a number of worker processes, got {raw!r}")
    return int(raw)


def _check_free(host: str, port: int) -> None:
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror}") from None


class GranianSelfReview(logging.Filter):
    """Drops Granian's opinion of its own settings: that 8 threads a worker "seems quite high"
    for the cores there are. They were measured as the best here (bench/README.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def _granian_logging(defaults: dict) -> dict:
    config = copy.deepcopy(defaults)
    config.setdefault("filters", {})["self_review"] = {"()": GranianSelfReview}
    config["handlers"]["console"]["filters"] = ["self_review"]
    return config


def serve(host: str, port: int, *, workers: int | None = None, app: str = "glue.api.serve:worker_app") -> int:
    """Serves `app` (a factory each worker calls) until SIGINT/SIGTERM, configured from the
    environment (which the workers read too)."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LOGGING_CONFIG

    check_database(ApiSettings.from_env())
    _check_free(host, port)
    workers = workers or _workers_from_env()
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="nura-users-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        _server_class()(
            app,
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=THREADS_PER_WORKER,
            respawn_failed_workers=True,
            workers_kill_timeout=GRACEFUL_STOP_SECONDS,
            http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
            websockets=False,  # WSGI has none: said, Granian would announce it is ignoring them
            log_dictconfig=_granian_logging(LOGGING_CONFIG),
        ).serve()
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
