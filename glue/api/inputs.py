"""What a request brings: who is calling (checked first) and its JSON body (checked after)."""

from __future__ import annotations

import json
import math
import re

from flask import current_app, g, request

from .errors import ApiError
from .tokens import Caller

MAX_BODY_BYTES = 64 * 1024
TRACE_HEADERS = ("X-Request-ID", "X-Session-ID")
MAX_TRACE_HEADER_CHARS = 255


def signed_in() -> Caller:
    """Who is calling (401 unless their token verifies); an X-User-ID header must name the same
    user (403)."""
    caller = current_app.extensions["nura"].tokens.caller(request.headers.get("Authorization"))
    g.user_id = caller.user_id
    acting_for = request.headers.get("X-User-ID")
    if acting_for is not None and acting_for.strip().lower() != caller.user_id.lower():
        raise ApiError.of("forbidden", "X-User-ID is not the signed-in user", hint="send your own id, or none")
    return caller


def trace_headers() -> dict:
    """X-Request-ID and X-Session-ID, for the sync log (request.headers, PostgREST-style)."""
    found = {}
    for name in TRACE_HEADERS:
        if value := request.headers.get(name):
            if len(value) > MAX_TRACE_HEADER_CHARS or "\x00" in value:
                raise ApiError.of(
                    "invalid_body", f"{name} must be at most {MAX_TRACE_HEADER_CHARS} characters without NUL"
                )
            found[name.lower()] = value
    return found


def json_object(*, optional: bool = False) -> dict:
    """The body as a JSON object: 415 unless JSON, 400 unless a well-formed object of UTF-8 text
    without NUL characters or non-finite numbers (PostgreSQL's jsonb takes neither)."""
    # The app lets one byte more than the limit through, so that a body sent in chunks (no
    # Content-Length, cut at the limit by the server's stream) is caught here as too large.
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError.of("too_large", "the body is larger than 64 KiB")
    if not raw and optional:
        return {}
    if not request.is_json:
        raise ApiError.of("unsupported_media_type", "the body must be JSON (Content-Type: application/json)")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
        unstorable = _has_unstorable_text(value)
    except UnicodeDecodeError:
        raise ApiError.of("invalid_body", "the body is not UTF-8 text") from None
    except ValueError as e:
        raise ApiError.of("invalid_body", f"the body is not valid JSON: {e}") from None
    except RecursionError:
        raise ApiError.of("invalid_body", "the body is nested too deeply") from None
    if not isinstance(value, dict):
        raise ApiError.of("invalid_body", "the body must be a JSON object")
    if unstorable:
        raise ApiError.of(
            "invalid_body",
            "the body contains a NUL character or a lone UTF-16 surrogate "
            "(\\u0000, \\ud800...), which no field can store",
        )
    return value


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable_text(value) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_UNSTORABLE.search(k) or _has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable_text(v) for v in value)
    return False
