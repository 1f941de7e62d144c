"""Every error the HTTP API answers with, and the one map from SQLSTATE to HTTP status.

Replies are `{"success": false, "error": <message>, "code": <code>}`: the SQLSTATE for errors the
database raised, else one word of the contract's vocabulary.
"""

from __future__ import annotations

import psycopg
from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException

# The SQL API's PTnnn codes carry their HTTP status, as in PostgREST.
PT_STATUS = {"PT400": 400, "PT401": 401, "PT403": 403, "PT404": 404, "PT412": 412}

# For errors raised outside the database: the status each code of the vocabulary goes with.
CODE_STATUS = {
    "invalid_body": 400,
    "invalid_token": 401,
    "forbidden": 403,
    "not_found": 404,
    "stale": 412,
    "too_large": 413,
    "unsupported_media_type": 415,
}
_STATUS_CODE = {status: code for code, status in CODE_STATUS.items()} | {405: "not_found"}

# Errors no request can cause that mean "try again shortly": the server is down, restarting,
# out of resources, cancelled us, or kept failing with deadlocks and serialization failures after
# the retries; read-only during a failover, a lock not available.
UNAVAILABLE_CLASSES = ("08", "40", "53", "57")
UNAVAILABLE = ("25006", "55P03")
# data exceptions and integrity violations
CLIENT_VALUE_CLASSES = ("22", "23")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.detail, self.hint = detail, hint

    @classmethod
    def of(cls, code: str, message: str, **kwargs) -> ApiError:
        return cls(CODE_STATUS[code], code, message, **kwargs)


def from_database(e: psycopg.Error) -> ApiError:
    """The one place a SQLSTATE becomes an HTTP status."""
    if e.sqlstate is None and not isinstance(e, psycopg.OperationalError):
        raise e  # raised by psycopg itself, not the server: our bug, a logged 500
    sqlstate = e.sqlstate or "08006"  # no SQLSTATE: the connection itself failed
    diag = e.diag
    message = diag.message_primary or str(e).splitlines()[0]
    if sqlstate in PT_STATUS:
        return ApiError(PT_STATUS[sqlstate], sqlstate, message, detail=diag.message_detail, hint=diag.message_hint)
    if sqlstate.startswith(UNAVAILABLE_CLASSES) or sqlstate in UNAVAILABLE or isinstance(e, psycopg.OperationalError):
        return ApiError(503, sqlstate, "the database is unavailable, retry shortly", {"Retry-After": "1"})
    if sqlstate.startswith(CLIENT_VALUE_CLASSES):
        # The SQL API validates what it is sent; should a value still get past it, the client sent it.
        return ApiError(400, sqlstate, f"the database refused a value: {message}", detail=diag.message_detail)
    raise e  # anything else is our bug: a logged 500


def reply(error: ApiError):
    g.error_code = error.code
    body = {"success": False, "error": error.message, "code": error.code}
    if error.detail:
        body["detail"] = error.detail
    if error.hint:
        body["hint"] = error.hint
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, reply)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        # Flask's own refusals (no route, wrong method, body too large) and, as a 500, our bugs.
        status = e.code or 500
        code = _STATUS_CODE.get(status) or ("invalid_body" if status < 500 else "internal_error")
        message = _HTTP_MESSAGES.get(status) or e.description or e.name
        response = reply(ApiError(status, code, message))
        if allow := e.get_response().headers.get("Allow"):
            response.headers["Allow"] = allow
        return response


_HTTP_MESSAGES = {
    404: "no such route",
    405: "method not allowed on this route",
    413: "the body is larger than 64 KiB",
    500: "internal error",
}
