"""/healthz, /metrics and /openapi.json: for load balancers, Prometheus and client generators."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..openapi import OPENAPI

bp = Blueprint("ops", __name__)
HEALTH_TIMEOUT_SECONDS = 2


@bp.get("/healthz")
def healthz():
    if current_app.extensions["nura"].db.ping(HEALTH_TIMEOUT_SECONDS):
        return {"success": True, "database": "up"}
    response = jsonify(success=False, error="the database does not answer", code="08006")
    response.status_code = 503
    return response


@bp.get("/metrics")
def metrics():
    registry = current_app.extensions["nura"].metrics.registry_for_scrape()
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi():
    return OPENAPI
