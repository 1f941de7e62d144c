"""/healthz, /metrics and /openapi.json: for load balancers, Prometheus and client generators."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..errors import ApiError
from ..openapi import OPENAPI

bp = Blueprint("ops", __name__)
HEALTH_TIMEOUT_SECONDS = 2


@bp.get("/healthz")
def healthz():
    if current_app.extensions["nura"].db.healthy(HEALTH_TIMEOUT_SECONDS):
        return {"success": True, "database": "up"}
    response = jsonify(success=False, error="the database does not answer", code="08006")
    response.status_code = 503
    return response


@bp.get("/metrics")
def metrics():
    nura = current_app.extensions["nura"]
    if expected := nura.settings.metrics_token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            raise ApiError.of("invalid_token", "the metrics need Authorization: Bearer <NURA_METRICS_TOKEN>")
    registry = nura.metrics.registry_for_scrape()
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi():
    return OPENAPI
