"""The Python client other services use: one typed call per SQL function of the service API, over
a psycopg pool, returning plain dicts; PTnnn errors become exceptions.

    from glue.client import NuraClient

    nura = NuraClient.connect(os.environ["DATABASE_URL"])   # a role granted nura_service
    user = nura.get_user(user_id)                           # replaces sync_service.get_user_by_id(...)
    chat = nura.get_user_for_chat(user_id)

Safe through Supabase's transaction pooler: every call is one autocommitted statement and no
statement is prepared.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool


class NuraError(Exception):
    """An error the SQL API raised on purpose: `code` is its SQLSTATE (PTnnn)."""

    def __init__(self, code: str, message: str, detail: str | None, hint: str | None):
        super().__init__(message)
        self.code, self.message, self.detail, self.hint = code, message, detail or None, hint or None


class BadInput(NuraError):
    """PT400"""


class NotSignedIn(NuraError):
    """PT401"""


class Forbidden(NuraError):
    """PT403"""


class NotFound(NuraError):
    """PT404: no such user or service type."""


class StaleWrite(NuraError):
    """PT412"""


ERRORS: dict[str, type[NuraError]] = {
    "PT400": BadInput,
    "PT401": NotSignedIn,
    "PT403": Forbidden,
    "PT404": NotFound,
    "PT412": StaleWrite,
}

UserId = UUID | str


class NuraClient:
    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    @classmethod
    def connect(cls, conninfo: str, *, min_size: int = 1, max_size: int = 10) -> NuraClient:
        pool = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": True, "prepare_threshold": None},
        )
        return cls(pool)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> NuraClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, query: str, *params: Any) -> Any:
        try:
            with self.pool.connection() as conn:
                return conn.execute(query, params).fetchone()[0]
        except psycopg.Error as e:
            error = ERRORS.get(e.sqlstate or "")
            if error is None:
                raise
            raise error(e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint) from None

    def get_user(self, user_id: UserId) -> dict | None:
        return self._call("select nura.get_user(p_user_id => %s::uuid)", str(user_id))

    def get_service_profile(self, user_id: UserId, service_type: str) -> dict | None:
        return self._call(
            "select nura.get_service_profile(p_user_id => %s::uuid, p_service_type => %s::text)",
            str(user_id),
            service_type,
        )

    def get_user_for_chat(self, user_id: UserId) -> dict | None:
        return self._call("select nura.get_user_for_chat(p_user_id => %s::uuid)", str(user_id))

    def get_user_for_voice(self, user_id: UserId) -> dict | None:
        return self._call("select nura.get_user_for_voice(p_user_id => %s::uuid)", str(user_id))

    def get_user_for_memory(self, user_id: UserId) -> dict | None:
        return self._call("select nura.get_user_for_memory(p_user_id => %s::uuid)", str(user_id))

    def update_profile(
        self,
        user_id: UserId,
        changes: dict,
        *,
        source: str = "backend_api",
        request_id: str | None = None,
        session_id: str | None = None,
    ) -> dict:
        return self._call(
            "select nura.update_profile(p_user_id => %s::uuid, p_changes => %s::jsonb, p_source => %s::text,"
            " p_request_id => %s::text, p_session_id => %s::text)",
            str(user_id),
            Jsonb(changes),
            source,
            request_id,
            session_id,
        )

    def update_backend_fields(self, user_id: UserId, changes: dict) -> dict:
        return self._call(
            "select nura.update_backend_fields(p_user_id => %s::uuid, p_changes => %s::jsonb)",
            str(user_id),
            Jsonb(changes),
        )

    def add_xp(self, user_id: UserId, points: int) -> int:
        return self._call("select nura.add_xp(p_user_id => %s::uuid, p_points => %s::integer)", str(user_id), points)

    def set_service_preferences(self, user_id: UserId, service_type: str, preferences: dict) -> dict:
        return self._call(
            "select nura.set_service_preferences(p_user_id => %s::uuid, p_service_type => %s::text,"
            " p_preferences => %s::jsonb)",
            str(user_id),
            service_type,
            Jsonb(preferences),
        )

    def set_service_metadata(self, user_id: UserId, service_type: str, metadata: dict) -> dict:
        return self._call(
            "select nura.set_service_metadata(p_user_id => %s::uuid, p_service_type => %s::text,"
            " p_metadata => %s::jsonb)",
            str(user_id),
            service_type,
            Jsonb(metadata),
        )

    def touch_service(self, user_id: UserId, service_type: str) -> dict:
        return self._call(
            "select nura.touch_service(p_user_id => %s::uuid, p_service_type => %s::text)", str(user_id), service_type
        )

    def sync_from_auth(
        self, record: dict | None, old_record: dict | None, op: str, source: str = "supabase_webhook"
    ) -> dict | None:
        return self._call(
            "select nura.sync_from_auth(p_record => %s::jsonb, p_old_record => %s::jsonb, p_op => %s::text,"
            " p_source => %s::text)",
            None if record is None else Jsonb(record),
            None if old_record is None else Jsonb(old_record),
            op,
            source,
        )

    def check_consistency(self) -> list[dict]:
        return self._call("select coalesce(jsonb_agg(c), '[]') from nura.check_consistency() c")

    def reconcile(self) -> int:
        return self._call("select nura.reconcile()")

    def sync_metrics(self) -> list[dict]:
        return self._call("select coalesce(jsonb_agg(m order by m.source), '[]') from nura.sync_metrics m")
