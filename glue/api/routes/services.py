"""/api/users/services/<service_type>: the signed-in user's profile for one service."""

from __future__ import annotations

import re

from flask import Blueprint, current_app
from psycopg.types.json import Jsonb

from ..errors import ApiError
from ..inputs import json_object, signed_in, trace_headers

bp = Blueprint("services", __name__, url_prefix="/api/users/services")

# nura.service_types allows no other name, so anything else is unknown without asking
_SERVICE_TYPE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def _db():
    return current_app.extensions["nura"].db


def _known_shape(service_type: str) -> str:
    if not _SERVICE_TYPE.fullmatch(service_type):
        raise ApiError.of("not_found", f"no service type {service_type[:64]!r}")
    return service_type


@bp.get("/<service_type>")
def get_profile(service_type: str):
    caller = signed_in()
    profile = _db().as_user(
        caller,
        trace_headers(),
        "select nura.my_service_profile(p_service_type => %s::text)",
        _known_shape(service_type),
        read_only=True,
    )
    return {"success": True, "profile": profile}


@bp.put("/<service_type>")
def set_preferences(service_type: str):
    caller = signed_in()
    body = json_object()
    if set(body) != {"service_preferences"}:
        raise ApiError.of("invalid_body", 'the body must be {"service_preferences": {...}} and nothing else')
    profile = _db().as_user(
        caller,
        trace_headers(),
        "select nura.set_my_service_preferences(p_service_type => %s::text, p_preferences => %s::jsonb)",
        _known_shape(service_type),
        Jsonb(body["service_preferences"]),
    )
    return {"success": True, "profile": profile}
