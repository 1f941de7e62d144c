"""/api/users: the signed-in user's own row and profile."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from psycopg.types.json import Jsonb

from ..errors import ApiError
from ..inputs import json_object, signed_in, trace_headers

bp = Blueprint("users", __name__, url_prefix="/api/users")


def _db():
    return current_app.extensions["nura"].db


def _with_etag(body: dict, etag: str):
    response = jsonify(body)
    response.set_etag(etag)
    return response


@bp.get("/me")
def me():
    caller = signed_in()
    result = _db().as_user(caller, trace_headers(), "select nura.me()", read_only=True)
    return _with_etag(
        {"success": True, "user": result["user"], "service_profiles": result["service_profiles"]}, result["etag"]
    )


@bp.put("/profile")
def update_profile():
    caller = signed_in()
    changes = json_object()
    if_match = request.if_match
    tags = {tag for tag in if_match.as_set() if tag}  # werkzeug reads `If-Match: ""` as a None tag
    if "If-Match" not in request.headers or if_match.star_tag:  # no precondition, or "any current profile"
        query, precondition = "select nura.update_my_profile(p_changes => %s::jsonb)", ()
    elif not tags or any("\x00" in tag for tag in tags):
        raise ApiError.of("stale", "If-Match names no strong ETag this profile could have")
    elif len(tags) == 1:
        query = "select nura.update_my_profile(p_changes => %s::jsonb, p_if_match => %s::text)"
        precondition = (next(iter(tags)),)
    else:
        # Several ETags: pass on the current one if it is among them. The function compares it
        # again under the row lock, so a write in between still gives 412.
        query = (
            "select nura.update_my_profile(p_changes => %s::jsonb, p_if_match => coalesce("
            "(select e from (select nura.me() ->> 'etag') c(e) where e = any(%s::text[])), ''))"
        )
        precondition = (sorted(tags),)
    result = _db().as_user(caller, trace_headers(), query, Jsonb(changes), *precondition)
    return _with_etag({"success": True, "user": result["user"]}, result["etag"])


@bp.post("/sync")
def sync():
    caller = signed_in()
    fields = json_object(optional=True)
    result = _db().as_user(caller, trace_headers(), "select nura.sync_me(p_fields => %s::jsonb)", Jsonb(fields))
    return _with_etag({"success": True, "user": result["user"]}, result["etag"])
