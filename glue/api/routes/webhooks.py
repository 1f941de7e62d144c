"""/webhooks/supabase-auth: Supabase Database Webhooks on auth.users, for deployments whose
backend database is not the Supabase one. Ordering, retries and deletes are nura.sync_from_auth's
job; this checks the secret and the payload's shape. The payload carries password hashes and
tokens: nothing here logs it."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, request
from psycopg.types.json import Jsonb

from ..errors import ApiError
from ..inputs import json_object

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/supabase-auth")
def supabase_auth():
    nura = current_app.extensions["nura"]
    expected = nura.settings.webhook_secret
    given = request.headers.get("X-Webhook-Secret", "")
    if not expected:
        raise ApiError.of("invalid_token", "webhooks are off: NURA_WEBHOOK_SECRET is not set")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError.of("invalid_token", "X-Webhook-Secret is missing or wrong")
    event = json_object()
    if event.get("table") != "users" or event.get("schema", "auth") != "auth":
        raise ApiError.of(
            "invalid_body",
            "only events of auth.users are accepted",
            hint='send {"type", "table": "users", "schema": "auth", "record", "old_record"}',
        )
    op, record, old_record = event.get("type"), event.get("record"), event.get("old_record")
    if not isinstance(op, str) or not all(r is None or isinstance(r, dict) for r in (record, old_record)):
        raise ApiError.of("invalid_body", "type must be a string, record and old_record objects or null")
    user = nura.db.as_service(
        "select nura.sync_from_auth(p_record => %s::jsonb, p_old_record => %s::jsonb, p_op => %s::text,"
        " p_source => 'supabase_webhook')",
        None if record is None else Jsonb(record),
        None if old_record is None else Jsonb(old_record),
        op,
    )
    return {"success": True, "user": user}
