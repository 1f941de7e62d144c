"""The API's connection pool and the transactions it runs.

A call for the signed-in user is one simple-protocol message with two statements, which PostgreSQL
runs as one implicit transaction: the first sets the role `authenticated`, the token's claims and
the request headers transaction-locally (as Supabase's REST layer does), the second calls the SQL
function. One round trip, and nothing outlives the transaction: safe through Supabase's
transaction pooler, and a pooled connection never carries one caller's identity to the next.
Service calls (webhooks, metrics) run as the login role itself.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from .errors import ApiError, from_database
from .tokens import Caller

APPLICATION_NAME = "nura-users api"  # in pg_stat_activity
STATEMENT_TIMEOUT = "15s"
POOL_TIMEOUT_SECONDS = 10
_RETRIES = 3  # a deadlock or serialization failure rolled the whole call back: run it again
# While the server does not answer, calls are answered 503 at once (not after waiting for the
# pool), and it is asked again this often.
DOWN_RECHECK_SECONDS = 1.0
# /healthz answers from a check at most this old, so a flood of probes opens one connection a second.
HEALTH_MAX_AGE_SECONDS = 1.0

_SERVICE_PREAMBLE = "select set_config('statement_timeout', %s, true); "
# auth.uid() and friends read request.jwt.claim.<name> before request.jwt.claims: blank those too,
# so that nothing set outside this transaction (a role's or database's setting, another client of
# a shared pooler connection) can stand in for the token's.
_USER_PREAMBLE = (
    "select set_config('statement_timeout', %s, true), set_config('role', 'authenticated', true),"
    " set_config('request.jwt.claims', %s, true), set_config('request.jwt.claim.sub', '', true),"
    " set_config('request.jwt.claim.role', '', true), set_config('request.jwt.claim.email', '', true),"
    " set_config('request.jwt.claim', '', true), set_config('request.headers', %s, true); "
)


class Database:
    def __init__(self, url: str, *, max_size: int = 16):
        self.pool = ConnectionPool(
            url,
            min_size=min(2, max_size),
            max_size=max_size,
            timeout=POOL_TIMEOUT_SECONDS,
            open=False,
            name="nura-api",
            # client-side binding: the parameters travel inside the one message; nothing is prepared
            kwargs={
                "autocommit": True,
                "prepare_threshold": None,
                "cursor_factory": psycopg.ClientCursor,
                "application_name": APPLICATION_NAME,
            },
        )
        self._health_lock = threading.Lock()
        self._down_until: float | None = None  # the server was found down; asked again after this
        self._last_health: tuple[float, bool] | None = None  # (when, up) of the last health check
        self._last_health_lock = threading.Lock()

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    def as_user(self, caller: Caller, headers: dict, query: str, *params: Any, read_only: bool = False) -> Any:
        """The single value `query` returns, run as `authenticated` with the caller's claims; ApiError
        on failure."""
        return self._call(
            _USER_PREAMBLE + query, (STATEMENT_TIMEOUT, caller.claims_json, json.dumps(headers), *params), read_only
        )

    def as_service(
        self, query: str, *params: Any, read_only: bool = False, statement_timeout: str = STATEMENT_TIMEOUT
    ) -> Any:
        return self._call(_SERVICE_PREAMBLE + query, (statement_timeout, *params), read_only)

    def healthy(self, timeout: float) -> bool:
        """Whether the database answers, from a check at most HEALTH_MAX_AGE_SECONDS old. One
        caller checks; the callers meanwhile wait for its answer (at most `timeout`, then it is
        no) rather than open connections of their own."""
        if not self._last_health_lock.acquire(timeout=timeout):
            return False
        try:
            last = self._last_health
            if last is None or time.monotonic() - last[0] >= HEALTH_MAX_AGE_SECONDS:
                up = self.ping(timeout)
                self._last_health = last = (time.monotonic(), up)
            return last[1]
        finally:
            self._last_health_lock.release()

    def ping(self, timeout: float) -> bool:
        """Whether the database answers, asked on a connection of its own: a pool busy with
        requests is not a database that is down."""
        if not self._health_lock.acquire(timeout=timeout):
            return False
        try:
            return self._ask(timeout) == "up"
        finally:
            self._health_lock.release()

    def _ask(self, timeout: float) -> str:
        """ "up", "refusing" (the server answered, but with an error: too many connections, a bad
        password) or "unreachable"; sets the breaker accordingly. Called under the health lock.
        A new connection each time: a kept one could hang on a half-open socket, lock held."""
        try:
            with psycopg.connect(
                self.pool.conninfo,
                autocommit=True,
                prepare_threshold=None,
                connect_timeout=max(2, round(timeout)),  # libpq's minimum is 2
                # a server gone silent mid-query (a half-open socket) ends it too
                tcp_user_timeout=max(2000, round(timeout * 1000)),
                keepalives_idle=2,
                keepalives_interval=1,
                keepalives_count=2,
                options="-c statement_timeout=2000",
                application_name=APPLICATION_NAME,
            ) as conn:
                conn.execute("select 1")
        except psycopg.Error as e:
            # libpq gives errors the server sent while connecting no SQLSTATE, but their severity
            if e.sqlstate is not None or "FATAL:" in str(e):  # it answered: not down; the pool may get in
                self._down_until = None
                return "refusing"
            self._down_until = time.monotonic() + DOWN_RECHECK_SECONDS
            return "unreachable"
        self._down_until = None
        return "up"

    def _refuse_while_down(self) -> None:
        """While the server was last found unreachable, calls are answered 503 at once; once that
        is DOWN_RECHECK_SECONDS old, one caller asks again (the others do not wait for it)."""
        down_until = self._down_until
        if down_until is None:
            return
        if time.monotonic() >= down_until and self._health_lock.acquire(blocking=False):
            try:
                if self._ask(DOWN_RECHECK_SECONDS) != "unreachable":
                    return
            finally:
                self._health_lock.release()
        raise ApiError(503, "08006", "the database is unavailable, retry shortly", {"Retry-After": "1"})

    def _call(self, query: str, params: tuple, read_only: bool) -> Any:
        self._refuse_while_down()
        for attempt in range(_RETRIES):
            broken = False
            try:
                with self.pool.connection() as conn:
                    try:
                        cur = conn.execute(query, params)
                    except psycopg.OperationalError:
                        broken = conn.closed
                        raise
                    cur.nextset()
                    result = cur.fetchone()[0]
                self._down_until = None
                return result
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as e:
                if attempt + 1 == _RETRIES:
                    raise from_database(e) from None
            except psycopg.Error as e:
                if broken or (e.sqlstate is None and isinstance(e, psycopg.OperationalError)):
                    # The server went away (a restart, a failover), or no connection could be had:
                    # drop every dead idle connection now rather than one failed request at a time,
                    # and while the server does not answer, refuse calls at once. A read is run
                    # again; a write is not, as it may have committed before the connection died.
                    self.pool.check()
                    if self.ping(DOWN_RECHECK_SECONDS) and broken and read_only and attempt == 0:
                        continue
                raise from_database(e) from None
        raise AssertionError("unreachable")
