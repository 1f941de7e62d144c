"""The HTTP API: `create_app()` builds it from the environment (or from given settings)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from flask_cors import CORS

from ..config import ApiSettings
from . import errors
from .db import Database
from .inputs import MAX_BODY_BYTES, TRACE_HEADERS
from .metrics import Metrics
from .routes import ops, services, users, webhooks
from .tokens import TokenVerifier

request_log = logging.getLogger("nura_users.http")
METRICS_REFRESH_SECONDS = 60
KNOWN_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"))


@dataclass
class Nura:
    """What the routes share, at app.extensions["nura"]."""

    settings: ApiSettings
    db: Database
    tokens: TokenVerifier
    metrics: Metrics
    request_log: Callable[[dict], None]

    def close(self) -> None:
        self.metrics.close()
        self.db.close()


def log_request(entry: dict) -> None:
    """The default request log: one JSON line per request to the `nura_users.http` logger."""
    if request_log.isEnabledFor(logging.INFO):
        request_log.info(json.dumps(entry))


def create_app(
    settings: ApiSettings | None = None,
    *,
    pool_size: int = 16,
    metrics_refresh_seconds: float = METRICS_REFRESH_SECONDS,
    request_logger: Callable[[dict], None] = log_request,
) -> Flask:
    settings = settings or ApiSettings.from_env()
    settings.validate()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1  # see inputs.json_object
    app.json.sort_keys = False
    db = Database(settings.database_url, max_size=pool_size)
    nura = Nura(
        settings,
        db,
        TokenVerifier(settings.jwt_secret, settings.jwks_url, settings.jwt_issuer),
        Metrics(Database(settings.database_url, max_size=1), metrics_refresh_seconds),
        request_logger,
    )
    app.extensions["nura"] = nura
    for blueprint in (users.bp, services.bp, webhooks.bp, ops.bp):
        app.register_blueprint(blueprint)
    errors.register(app)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            allow_headers=["Authorization", "Content-Type", "If-Match", *TRACE_HEADERS, "X-User-ID"],
            expose_headers=["ETag", "Retry-After"],
            methods=["GET", "PUT", "POST"],
            max_age=600,
        )
    app.before_request(_start_clock)
    app.after_request(_account)
    db.open()
    return app


def _start_clock() -> None:
    g.started = time.perf_counter()


def _account(response):
    """One structured log line and one histogram sample per request. Never the Authorization
    header, the body or the query string: tokens and webhook rows stay out of the logs."""
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    method = request.method if request.method in KNOWN_METHODS else "other"  # labels a client can't multiply
    nura = current_app.extensions["nura"]
    nura.metrics.observe(method, route, response.status_code, seconds)
    nura.request_log(
        {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "route": route,
            "status": response.status_code,
            "ms": round(seconds * 1000, 2),
            "user_id": g.get("user_id"),
            "request_id": (request.headers.get("X-Request-ID") or "")[:255] or None,
            "code": g.get("error_code"),
        }
    )
    return response
