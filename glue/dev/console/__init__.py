"""The dev console: `nura-users dev` serves it at `/`, beside the API; `serve` never does.

It does what Supabase Auth would in a real project, against the local `auth` stand-in (so the
real triggers run): it signs users up, signs one in and hands the page a supabase-js shaped session
whose access token the API accepts. The page edits the profile through the JS client
(clients/js), and polls `/console/api/state` for the normalized rows, the sync log and the drift
report. Anyone who can reach the port can act as any user: it is for a developer's own machine,
and refuses what a web page elsewhere could send it (`_same_machine_only`).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import psycopg
from flask import Blueprint, Flask, current_app, request, send_from_directory
from psycopg.conninfo import make_conninfo

from ...api.errors import ApiError
from ...api.inputs import json_object
from ..supabase_standin import AuthServer, access_token

bp = Blueprint("console", __name__, static_folder="static", static_url_path="/console/static")
SESSION_SECONDS = 3600
LOG_ROWS = 20
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def client_dir() -> Path:
    """The JS client's ES modules (clients/js/src), which the console serves to its page: inside
    the package when installed from a wheel, else the checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "client", here.parents[2] / "clients" / "js" / "src"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the JS client (clients/js/src) is not installed with this package")


def worker_app() -> Flask:
    """What `nura-users dev` serves: the API, and this console."""
    from ...api.serve import worker_app as api_app

    app = api_app()
    app.register_blueprint(bp)
    return app


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@bp.before_request
def _same_machine_only():
    """The console acts as any user, so it refuses what a web page elsewhere could send it: a Host
    that is a DNS name (DNS rebinding points one at 127.0.0.1; an IP address or localhost cannot
    be rebound), and a write that is not JSON (a cross-site form or beacon cannot send JSON
    without a CORS preflight, which the console never grants)."""
    host = urlsplit(f"//{request.host}").hostname or ""
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ApiError.of("forbidden", "the dev console answers to localhost or an IP address only") from None
    if request.method not in ("GET", "HEAD") and not request.is_json:
        raise ApiError.of("unsupported_media_type", "dev console writes must be JSON (Content-Type: application/json)")


def _database_url() -> str:
    return current_app.extensions["nura"].settings.database_url


def _connect() -> psycopg.Connection:
    return psycopg.connect(_database_url(), autocommit=True)


def _auth() -> AuthServer:
    """Supabase Auth's own role, as GoTrue connects."""
    return AuthServer(make_conninfo(_database_url(), user="supabase_auth_admin"))


def _json(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[dict]:
    """The rows as PostgreSQL renders them in JSON (ISO timestamps, exact numbers)."""
    return conn.execute(f"select coalesce(jsonb_agg(to_jsonb(r)), '[]') from ({query}) r", params).fetchone()[0]


def _auth_user(conn: psycopg.Connection, user_id: UUID) -> dict:
    rows = _json(
        conn,
        "select id, email, phone, raw_user_meta_data as user_metadata, raw_app_meta_data as app_metadata,"
        " created_at, last_sign_in_at, email_confirmed_at, phone_confirmed_at, nullif(email_change, '') as"
        " email_change, exists (select from auth.sessions s where s.user_id = u.id) as has_session"
        " from auth.users u where id = %s and deleted_at is null",
        (user_id,),
    )
    if not rows:
        raise ApiError.of("not_found", "no such user in auth.users")
    return rows[0]


def _text_field(body: dict, name: str, *, limit: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError.of("invalid_body", f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError.of("invalid_body", f"{name} must be text of at most {limit} characters")
    return value.strip()


@bp.get("/")
def index():
    response = send_from_directory(bp.static_folder, "index.html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/console/client/<path:name>")
def client(name: str):
    """The JS client's ES modules, as clients/js ships them: the page imports the real thing."""
    return send_from_directory(client_dir(), name, mimetype="text/javascript")


SIGNUPS = ("email", "email_unconfirmed", "phone", "anonymous", "google")


def _email(body: dict) -> str:
    email = _text_field(body, "email", limit=254, required=True).lower()
    if not EMAIL.fullmatch(email):
        raise ApiError.of("invalid_body", "email must look like name@example.com")
    return email


def _conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


@bp.post("/console/api/users")
def sign_up():
    """Signs a user up as Supabase Auth does for `kind`: an email signup confirmed at once (then
    its session) or waiting for its link, a phone signup confirmed at once, an anonymous
    sign-in, or a first Google sign-in."""
    body = json_object()
    kind = body.get("kind", "email")
    if kind not in SIGNUPS:
        raise ApiError.of("invalid_body", f"kind must be one of {', '.join(SIGNUPS)}")
    full_name = _text_field(body, "full_name", limit=200)
    data = {"full_name": full_name} if full_name else {}
    auth = _auth()
    try:
        if kind == "phone":
            phone = (_text_field(body, "phone", limit=16, required=True) or "").removeprefix("+")
            if not re.fullmatch(r"[1-9][0-9]{7,14}", phone):
                raise ApiError.of("invalid_body", "phone must be a number in E.164, like +14155550123")
            user_id = auth.phone_signup(phone, data)
        elif kind == "anonymous":
            user_id = auth.anonymous_sign_in(data)
        elif kind == "google":
            claims = {"email": _email(body), "email_verified": True, **({"name": full_name} if full_name else {})}
            user_id = auth.oauth_signup("google", claims)
        else:
            user_id = auth.email_signup(_email(body), data, autoconfirm=kind == "email")
    except psycopg.errors.UniqueViolation:  # what GoTrue answers, with its code
        raise ApiError(422, "user_already_exists", "a user with this email address or phone is registered") from None
    return {"success": True, "id": user_id}, 201


def _flow(auth: AuthServer, user: dict, action: str, body: dict) -> None:
    """One of Auth's flows on an existing user, refused (409) where Auth would refuse it."""
    user_id = str(user["id"])
    if action == "refresh":
        if not user["has_session"]:
            raise _conflict("the user has no session: sign in first")
        auth.refresh(user_id)
    elif action == "logout":
        auth.logout(user_id)
    elif action == "confirm-email":
        if user["email"] is None or user["email_confirmed_at"] is not None:
            raise _conflict("the user has no email waiting for its confirmation")
        auth.confirm_email(user_id)
    elif action == "verify-phone":
        if user["phone"] is None or user["phone_confirmed_at"] is not None:
            raise _conflict("the user has no phone waiting for its code")
        auth.verify_phone(user_id)
    elif action == "oauth-login":
        if (user["app_metadata"] or {}).get("provider") != "google":
            raise _conflict("the user did not sign up with Google")
        full_name = _text_field(body, "full_name", limit=200)
        metadata = user["user_metadata"] or {}
        stored = {k: metadata[k] for k in ("email", "name") if k in metadata}
        auth.oauth_login(user_id, {**stored, **({"name": full_name} if full_name else {})})
    elif action == "request-email-change":
        auth.request_email_change(user_id, _email(body))
    elif action == "confirm-email-change":
        if not user["email_change"]:
            raise _conflict("the user asked for no email change")
        auth.confirm_email_change(user_id)
    elif action == "ban":
        auth.ban(user_id)
    elif action == "soft-delete":
        auth.soft_delete(user_id)
    elif action == "hard-delete":
        auth.hard_delete(user_id)
    else:
        raise ApiError.of("not_found", f"no such flow: {action}")


@bp.post("/console/api/users/<uuid:user_id>/auth/<action>")
def auth_flow(user_id: UUID, action: str):
    """Runs one of Supabase Auth's flows on the user, as Auth writes it."""
    body = json_object()
    with _connect() as conn:
        user = _auth_user(conn, user_id)
    try:
        _flow(_auth(), user, action, body)
    except psycopg.errors.UniqueViolation:
        raise ApiError(422, "email_exists", "a user with this email address is registered") from None
    return {"success": True}


@bp.post("/console/api/users/<uuid:user_id>/sign-in")
def sign_in(user_id: UUID):
    """A password sign-in: GoTrue stamps last_sign_in_at and returns a session."""
    with _connect() as conn:
        _auth_user(conn, user_id)
        _auth().sign_in(str(user_id))
        user = _auth_user(conn, user_id)
    token = access_token(
        current_app.extensions["nura"].settings.jwt_secret,
        str(user_id),
        lifetime_seconds=SESSION_SECONDS,
        email=user["email"] or "",
        phone=user["phone"] or "",
        user_metadata=user["user_metadata"],
        app_metadata=user["app_metadata"],
    )
    session_user = {
        "id": str(user_id),
        "aud": "authenticated",
        "role": "authenticated",
        "email": user["email"],
        "phone": user["phone"] or "",
        "user_metadata": user["user_metadata"],
        "app_metadata": user["app_metadata"],
        "created_at": user["created_at"],
        "last_sign_in_at": user["last_sign_in_at"],
    }
    return {
        "success": True,
        "session": {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": SESSION_SECONDS,
            "expires_at": int(time.time()) + SESSION_SECONDS,
            "refresh_token": secrets.token_urlsafe(12),
            "user": session_user,
        },
    }


@bp.put("/console/api/users/<uuid:user_id>/auth-metadata")
def update_auth_metadata(user_id: UUID):
    """supabase.auth.updateUser({data: {full_name}}): the change reaches public.users by the trigger."""
    body = json_object()
    full_name = _text_field(body, "full_name", limit=200)
    with _connect() as conn:
        _auth_user(conn, user_id)
    _auth().update_metadata(str(user_id), {"full_name": full_name})
    return {"success": True}


@bp.post("/console/api/users/<uuid:user_id>/drift")
def make_drift(user_id: UUID):
    """A sign-in written with the sync triggers off, as a restore or a replica's apply would write
    it, so that the drift check has something to find and reconcile something to repair. Done as
    auth.users' owner, in one transaction: nobody else sees the triggers off."""
    with psycopg.connect(_auth().url) as conn:
        _auth_user(conn, user_id)
        conn.execute("alter table auth.users disable trigger tg_auth_users__sync_update")
        conn.execute("update auth.users set last_sign_in_at = now(), updated_at = now() where id = %s", (user_id,))
        conn.execute("alter table auth.users enable trigger tg_auth_users__sync_update")
    return {"success": True}


@bp.post("/console/api/reconcile")
def reconcile():
    with _connect() as conn:
        repaired = conn.execute("select nura.reconcile()").fetchone()[0]
    return {"success": True, "repaired": repaired}


@bp.get("/console/api/state")
def state():
    """Everything the page shows, read as the owner: the users, and for `?user=<id>` their
    normalized row, service profiles and latest sync log rows; the drift report; sync metrics."""
    try:
        selected = UUID(request.args["user"]) if request.args.get("user") else None
    except ValueError:
        raise ApiError.of("invalid_body", "user must be a user id") from None
    with _connect() as conn:
        users = _json(
            conn,
            "select a.id, a.email, a.phone, a.is_anonymous, u.full_name, u.display_name, a.last_sign_in_at,"
            " u.id is not null as synced from auth.users a left join public.users u on u.id = a.id"
            " where a.deleted_at is null order by a.created_at, a.id",
        )
        detail = None
        if selected:
            detail = {
                "auth": _auth_user(conn, selected),
                "user": next(iter(_json(conn, "select * from public.users where id = %s", (selected,))), None),
                "service_profiles": _json(
                    conn,
                    "select * from public.user_service_profiles where user_id = %s order by service_type",
                    (selected,),
                ),
                "sync_log": _json(
                    conn,
                    "select id, created_at, sync_type, source, success, error_message,"
                    " before_data, after_data, request_id, session_id"
                    " from public.user_sync_logs where user_id = %s order by id desc limit %s",
                    (selected, LOG_ROWS),
                ),
            }
        drift = _json(conn, "select user_id, problem, detail from nura.check_consistency()")
        metrics = _json(conn, "select * from nura.sync_metrics order by source")
    return {"success": True, "users": users, "selected": detail, "drift": drift, "sync_metrics": metrics}
