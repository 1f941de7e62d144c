"""The HTTP API through Flask's test client: every route and error code, tokens minted here (HS256,
and ES256 from a local JWKS endpoint), the attacks a public API meets, and CORS."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from glue.config import ApiSettings
from glue.dev.supabase_standin import access_token
from tests.support.http import (
    ORIGIN,
    SECRET,
    WEBHOOK_SECRET,
    assert_error,
    bearer,
    make_app,
    scraped_metrics,
    webhook_event,
)


class Jwks:
    """A project's JWKS endpoint on loopback: one ES256 key, with a count of fetches."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = "es256-key-1"
        self.fetches = 0
        self.down = False
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        self.keys = {"keys": [dict(jwk, kid=self.kid, alg="ES256", use="sig")]}
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                jwks.fetches += 1
                body = json.dumps(jwks.keys).encode()
                self.send_response(503 if jwks.down else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/auth/v1/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, user_id: str, **claims) -> str:
        return access_token(self.private_key, user_id, algorithm="ES256", kid=self.kid, **claims)

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@pytest.fixture(scope="module")
def jwks():
    endpoint = Jwks()
    yield endpoint
    endpoint.server.shutdown()


@pytest.fixture
def app(db):
    app = make_app(db)
    yield app
    app.extensions["nura"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def state(db, user_id: str) -> tuple:
    """Everything a request could change for a user: their row, service profiles and log."""
    return (
        db.user(user_id),
        db.all("select * from public.user_service_profiles where user_id = %s order by service_type", (user_id,)),
        db.all("select count(*) from public.user_sync_logs where user_id = %s", (user_id,)),
    )


# --- the routes ----------------------------------------------------------------------------------


def test_me_returns_the_user_their_service_profiles_and_an_etag(db, client):
    uid = db.auth.email_signup("me@example.com", {"full_name": "Me Myself"})
    response = client.get("/api/users/me", headers=bearer(uid))
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True and body["user"]["id"] == uid and body["user"]["full_name"] == "Me Myself"
    assert set(body["service_profiles"]) == {"chat", "voice", "memory"}
    assert response.headers["ETag"].startswith('"') and len(response.headers["ETag"]) == 34


def test_me_is_404_before_the_user_is_synced_and_after_deletion(db, client):
    assert_error(client.get("/api/users/me", headers=bearer(str(uuid.uuid4()))), 404, "PT404")
    soft, hard = db.auth.email_signup("soft@example.com"), db.auth.email_signup("hard@example.com")
    db.auth.soft_delete(soft)
    db.auth.hard_delete(hard)
    for uid in (soft, hard):  # their tokens are still valid for up to an hour
        assert_error(client.get("/api/users/me", headers=bearer(uid)), 404, "PT404")
        assert_error(client.put("/api/users/profile", json={"bio": "back?"}, headers=bearer(uid)), 404, "PT404")
        assert_error(client.post("/api/users/sync", json={"full_name": "Back"}, headers=bearer(uid)), 404, "PT404")


@pytest.mark.parametrize(
    "if_match, status, code, bio",
    [
        (lambda old, current: current, 200, None, "written"),  # the ETag of the profile shown
        (lambda old, current: old, 412, "PT412", "one"),  # changed since it was read
        (lambda old, current: f"{old}, {current}", 200, None, "written"),  # several: the current one among them
        (lambda old, current: f"W/{current}", 412, "stale", "one"),  # weak ETags name no profile
        (lambda old, current: "*", 200, None, "written"),  # any current profile
        (lambda old, current: None, 200, None, "written"),  # no If-Match: the last write wins
    ],
    ids=["current", "stale", "several", "weak", "star", "none"],
)
def test_profile_update_with_etags(db, client, if_match, status, code, bio):
    uid = db.auth.email_signup("etag@example.com")
    old = client.get("/api/users/me", headers=bearer(uid)).headers["ETag"]
    current = client.put("/api/users/profile", json={"bio": "one"}, headers={**bearer(uid), "If-Match": old}).headers[
        "ETag"
    ]
    assert current != old
    before = state(db, uid)
    precondition = if_match(old, current)
    response = client.put(
        "/api/users/profile",
        json={"bio": "written"},
        headers={**bearer(uid), **({"If-Match": precondition} if precondition else {})},
    )
    if code:
        assert_error(response, status, code)
        assert state(db, uid) == before
    else:
        assert response.status_code == 200 and response.headers["ETag"] not in (old, current)
    assert db.user(uid)["bio"] == bio


@pytest.mark.parametrize("if_match", ['""', '"", W/"x"', 'W/""', ","])
def test_if_match_with_no_usable_etag_is_412_not_500(db, client, if_match):  # found by schemathesis
    uid = db.auth.email_signup("empty-etag@example.com")
    before = state(db, uid)
    response = client.put("/api/users/profile", json={"bio": "x"}, headers={**bearer(uid), "If-Match": if_match})
    assert_error(response, 412, "stale")
    assert state(db, uid) == before


def test_profile_update_logs_the_request_and_session_ids(db, client):
    uid = db.auth.email_signup("trace@example.com")
    client.put(
        "/api/users/profile",
        json={"full_name": "Traced"},
        headers={**bearer(uid), "X-Request-ID": "req-42", "X-Session-ID": "sess-7"},
    )
    log = db.logs(uid)[-1]
    assert (log["source"], log["sync_type"], log["request_id"], log["session_id"]) == (
        "frontend_sync",
        "profile_update",
        "req-42",
        "sess-7",
    )
    assert log["after_data"] == {"full_name": "Traced"}


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "me@evil.example"},
        {"xp": 1_000_000},
        {"id": str(uuid.uuid4())},
        {"is_active": False},
        {"origin": "legacy_migration"},
        {"deleted_at": None},
        {"full_name": 5},
        {"full_name": "x" * 201},
        {"avatar_url": "javascript:alert(1)"},
        {"phone_number": "12345"},
        {"privacy_settings": []},
    ],
)
def test_protected_and_invalid_fields_are_refused_and_change_nothing(db, client, changes):
    uid = db.auth.email_signup("guard@example.com")
    before = state(db, uid)
    assert_error(client.put("/api/users/profile", json=changes, headers=bearer(uid)), 400, "PT400")
    assert state(db, uid) == before


def test_frontend_sync_only_fills_empty_fields(db, client):
    uid = db.auth.email_signup("sync@example.com", {"full_name": "From Auth"})
    response = client.post(
        "/api/users/sync",
        headers=bearer(uid),
        json={
            "id": uid,
            "email": "other@example.com",
            "full_name": "From Frontend",
            "phone_number": "+4915112345678",
            "user_metadata": {"role": "admin"},
        },
    )
    assert response.status_code == 200 and "ETag" in response.headers
    user = response.get_json()["user"]
    assert (user["full_name"], user["phone_number"], user["email"]) == (
        "From Auth",
        "+4915112345678",
        "sync@example.com",
    )
    before = state(db, uid)
    for blank in ({"full_name": "", "phone_number": None}, {}):
        assert client.post("/api/users/sync", headers=bearer(uid), json=blank).status_code == 200
    assert client.post("/api/users/sync", headers=bearer(uid)).status_code == 200  # no body at all
    assert state(db, uid) == before


def test_frontend_sync_for_someone_else_is_forbidden(db, client):
    uid, other = db.auth.email_signup("a@example.com"), db.auth.email_signup("b@example.com")
    before = state(db, other)
    assert_error(
        client.post("/api/users/sync", headers=bearer(uid), json={"id": other, "full_name": "Hijack"}), 403, "PT403"
    )
    assert state(db, other) == before


def test_service_profiles(db, client):
    uid = db.auth.email_signup("svc@example.com")
    response = client.get("/api/users/services/chat", headers=bearer(uid))
    assert response.status_code == 200 and response.get_json()["profile"]["service_type"] == "chat"
    response = client.put(
        "/api/users/services/chat", headers=bearer(uid), json={"service_preferences": {"theme": "dark", "lang": "en"}}
    )
    assert response.get_json()["profile"]["service_preferences"] == {"theme": "dark", "lang": "en"}
    response = client.put(
        "/api/users/services/chat", headers=bearer(uid), json={"service_preferences": {"lang": None, "tone": "warm"}}
    )
    assert response.get_json()["profile"]["service_preferences"] == {"theme": "dark", "tone": "warm"}
    assert_error(client.get("/api/users/services/astrology", headers=bearer(uid)), 404, "PT404")
    assert_error(client.get("/api/users/services/NOT%20A%20TYPE", headers=bearer(uid)), 404, "not_found")
    assert_error(
        client.put("/api/users/services/astrology", headers=bearer(uid), json={"service_preferences": {}}), 404, "PT404"
    )
    before = state(db, uid)
    for body in (
        {"service_preferences": {}, "service_metadata": {"plan": "pro"}},
        {"usage_stats": {}},
        {"service_preferences": "dark"},
    ):
        response = client.put("/api/users/services/chat", headers=bearer(uid), json=body)
        assert response.status_code == 400, body
    assert state(db, uid) == before


# --- webhooks ------------------------------------------------------------------------------------


def _hook(client, record, old_record, op, secret=WEBHOOK_SECRET, **overrides):
    payload = webhook_event(record, old_record, op, **overrides)
    headers = {"X-Webhook-Secret": secret} if secret is not None else {}
    return client.post("/webhooks/supabase-auth", json=payload, headers=headers)


def test_webhook_applies_events_in_updated_at_order(db, client):
    uid = db.auth.email_signup("hook@example.com", {"full_name": "Hook"})
    first = db.auth_row(uid)
    db.auth.update_metadata(uid, {"full_name": "Hook Two"})
    second = db.auth_row(uid)
    db.become_split_backend()
    response = _hook(client, second, first, "UPDATE")  # arrives before the INSERT
    assert response.status_code == 200 and response.get_json()["user"]["full_name"] == "Hook Two"
    assert _hook(client, first, None, "INSERT").get_json()["user"]["full_name"] == "Hook Two"  # older: ignored
    before = state(db, uid)
    assert _hook(client, second, first, "UPDATE").status_code == 200  # a retry
    assert state(db, uid) == before
    assert _hook(client, None, second, "DELETE").status_code == 200
    zombie = dict(
        second,
        updated_at=(datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        raw_user_meta_data={"full_name": "Zombie"},
    )
    assert _hook(client, zombie, second, "UPDATE").get_json()["user"]["deleted_at"] is not None
    assert {log["source"] for log in db.logs(uid)} == {"supabase_webhook"}


def test_webhook_refuses_a_missing_or_wrong_secret_and_other_tables(db, client, app):
    uid = db.auth.email_signup("hook2@example.com")
    record = db.auth_row(uid)
    db.become_split_backend()
    assert_error(_hook(client, record, None, "INSERT", secret=None), 401, "invalid_token")
    assert_error(_hook(client, record, None, "INSERT", secret="wrong"), 401, "invalid_token")
    assert_error(_hook(client, record, None, "INSERT", table="identities"), 400, "invalid_body")
    assert_error(_hook(client, record, None, "INSERT", schema="public"), 400, "invalid_body")
    assert_error(_hook(client, record, None, "MERGE"), 400, "PT400")
    assert_error(_hook(client, "not a row", None, "INSERT"), 400, "invalid_body")
    assert_error(_hook(client, dict(record, id="nope"), None, "INSERT"), 400, "PT400")
    assert db.user(uid) is None


def test_webhooks_are_off_without_a_secret(db):
    app = make_app(db, webhook_secret=None)
    try:
        response = app.test_client().post("/webhooks/supabase-auth", json={}, headers={"X-Webhook-Secret": ""})
        assert_error(response, 401, "invalid_token")
    finally:
        app.extensions["nura"].close()


def test_request_logs_carry_no_tokens_secrets_or_rows(db, client, caplog):
    uid = db.auth.email_signup("quiet@example.com")
    record = db.auth_row(uid)
    db.become_split_backend()
    headers = bearer(uid)
    with caplog.at_level(logging.INFO, logger="nura_users"):
        _hook(client, record, None, "INSERT")
        client.get("/api/users/me", headers={**headers, "X-Request-ID": "r-1"})
        client.get("/api/users/me", headers={"Authorization": headers["Authorization"] + "x"})
    lines = [r.getMessage() for r in caplog.records if r.name == "nura_users.http"]
    assert len(lines) == 3 and json.loads(lines[1])["request_id"] == "r-1"
    text = "\n".join(lines)
    token = headers["Authorization"].split()[1]
    for secret in (token, token.split(".")[2], WEBHOOK_SECRET, record["encrypted_password"], "quiet@example.com"):
        assert secret not in text


# --- tokens --------------------------------------------------------------------------------------


def _forged(payload: dict, header: dict, signature: bytes = b"") -> str:
    b64 = jwt.utils.base64url_encode
    return ".".join(
        [b64(json.dumps(header).encode()).decode(), b64(json.dumps(payload).encode()).decode(), b64(signature).decode()]
    )


def _token_attacks(uid: str, jwks) -> dict[str, str | None]:
    """Authorization headers that must not pass, by name."""
    now = int(time.time())
    good = access_token(SECRET, uid)
    header, payload, signature = good.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    tampered = ".".join(
        [
            header,
            jwt.utils.base64url_encode(json.dumps(dict(claims, sub=str(uuid.uuid4()))).encode()).decode(),
            signature,
        ]
    )
    anon_key = jwt.encode(
        {"iss": "supabase", "ref": "abc", "role": "anon", "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256"
    )
    service_key = jwt.encode(
        {"iss": "supabase", "role": "service_role", "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256"
    )
    attacks = {
        "no header": None,
        "not bearer": f"Basic {good}",
        "empty bearer": "Bearer ",
        "garbage": "Bearer not.a.jwt",
        "expired": f"Bearer {access_token(SECRET, uid, exp=now - 1)}",
        "no exp": f"Bearer {jwt.encode({'sub': uid, 'aud': 'authenticated'}, SECRET, algorithm='HS256')}",
        "not yet valid": f"Bearer {access_token(SECRET, uid, nbf=now + 600)}",
        "wrong audience": f"Bearer {access_token(SECRET, uid, aud='anon')}",
        "wrong secret": f"Bearer {access_token('another-secret-that-is-also-long-enough', uid)}",
        "alg none": f"Bearer {_forged(claims, {'alg': 'none', 'typ': 'JWT'})}",
        "alg None": f"Bearer {_forged(claims, {'alg': 'None', 'typ': 'JWT'})}",
        "tampered payload": f"Bearer {tampered}",
        "anon key": f"Bearer {anon_key}",
        "service_role key": f"Bearer {service_key}",
        "sub not a uuid": f"Bearer {access_token(SECRET, 'admin')}",
        "HS256 signed with the JWKS public key": f"Bearer {_hs256_with(jwks.public_pem(), uid)}",
        "ES256 when only HS256 is configured": f"Bearer {jwks.token(uid)}",
    }
    assert tuple(attacks) == TOKEN_ATTACKS
    return attacks


TOKEN_ATTACKS = (
    "no header",
    "not bearer",
    "empty bearer",
    "garbage",
    "expired",
    "no exp",
    "not yet valid",
    "wrong audience",
    "wrong secret",
    "alg none",
    "alg None",
    "tampered payload",
    "anon key",
    "service_role key",
    "sub not a uuid",
    "HS256 signed with the JWKS public key",
    "ES256 when only HS256 is configured",
)


@pytest.mark.parametrize("attack", TOKEN_ATTACKS)
def test_token_attacks_get_401(db, client, jwks, attack):
    uid = db.auth.email_signup("victim@example.com")
    authorization = _token_attacks(uid, jwks)[attack]
    before = state(db, uid)
    response = client.put(
        "/api/users/profile",
        json={"bio": "pwned"},
        headers={} if authorization is None else {"Authorization": authorization},
    )
    assert_error(response, 401, "invalid_token")
    assert "Bearer" in response.headers.get("WWW-Authenticate", "")
    assert state(db, uid) == before


def _b64json(value: dict) -> str:
    return jwt.utils.base64url_encode(json.dumps(value).encode()).decode()


def test_es256_tokens_from_the_jwks_endpoint(db, jwks):
    app = make_app(db, jwt_secret=None, jwks_url=jwks.url, jwt_issuer="http://127.0.0.1/auth/v1")
    client = app.test_client()
    try:
        uid = db.auth.email_signup("es@example.com")
        assert client.get("/api/users/me", headers={"Authorization": f"Bearer {jwks.token(uid)}"}).status_code == 200
        public_pem = jwks.public_pem()
        for token in (
            access_token(SECRET, uid),  # HS256 is not accepted without the secret
            _hs256_with(public_pem, uid),
            jwks.token(uid, iss="https://evil.example/auth/v1"),
            _forged(jwt.decode(jwks.token(uid), options={"verify_signature": False}), {"alg": "none"}),
        ):
            assert_error(
                client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token"
            )
    finally:
        app.extensions["nura"].close()


def _hs256_with(key: bytes, uid: str) -> str:
    """HS/RS confusion: an HS256 token whose HMAC key is the public key (PyJWT refuses to make one)."""
    header = _b64json({"alg": "HS256", "typ": "JWT", "kid": "es256-key-1"})
    payload = _b64json({"sub": uid, "aud": "authenticated", "exp": int(time.time()) + 600})
    mac = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256)
    signature = jwt.utils.base64url_encode(mac.sign(f"{header}.{payload}".encode(), key)).decode()
    return f"{header}.{payload}.{signature}"


def test_unknown_kids_refresh_the_keys_at_most_once_a_minute(db, jwks):
    app = make_app(db, jwt_secret=None, jwks_url=jwks.url)
    client = app.test_client()
    try:
        uid = db.auth.email_signup("kid@example.com")
        assert client.get("/api/users/me", headers={"Authorization": f"Bearer {jwks.token(uid)}"}).status_code == 200
        fetched = jwks.fetches
        stranger = ec.generate_private_key(ec.SECP256R1())
        for i in range(20):
            token = access_token(stranger, uid, algorithm="ES256", kid=f"unknown-{i}")
            assert_error(
                client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token"
            )
        assert jwks.fetches - fetched <= 1
    finally:
        app.extensions["nura"].close()


def test_x_user_id_must_be_the_signed_in_user(db, client):
    uid, other = db.auth.email_signup("x@example.com"), db.auth.email_signup("y@example.com")
    assert client.get("/api/users/me", headers={**bearer(uid), "X-User-ID": uid.upper()}).status_code == 200
    before = state(db, other)
    assert_error(
        client.put("/api/users/profile", json={"bio": "mine now"}, headers={**bearer(uid), "X-User-ID": other}),
        403,
        "forbidden",
    )
    assert state(db, other) == before


def test_checks_run_in_order_token_identity_body(db, client):
    uid, other = db.auth.email_signup("o@example.com"), db.auth.email_signup("p@example.com")
    bad_body = {"data": b"{not json", "content_type": "application/json"}
    assert_error(client.put("/api/users/profile", headers={"X-User-ID": other}, **bad_body), 401, "invalid_token")
    assert_error(
        client.put("/api/users/profile", headers={**bearer(uid), "X-User-ID": other}, **bad_body), 403, "forbidden"
    )
    assert_error(client.put("/api/users/profile", headers=bearer(uid), **bad_body), 400, "invalid_body")


# --- bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/users/profile", "/api/users/services/chat"])
@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        (b'{"bio": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b"bio=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"", "application/json", 400, "invalid_body"),
        (b"{", "application/json", 400, "invalid_body"),
        (b"[]", "application/json", 400, "invalid_body"),
        (b'"bio"', "application/json", 400, "invalid_body"),
        (b'{"bio": "\xff\xfe"}', "application/json", 400, "invalid_body"),
        (b'{"bio": "nul \\u0000 byte"}', "application/json", 400, "invalid_body"),
        (b'{"bio\\u0000": "x"}', "application/json", 400, "invalid_body"),
        (b'{"bio": "lone \\ud800 surrogate"}', "application/json", 400, "invalid_body"),
        (b'{"privacy_settings": {"n": NaN}}', "application/json", 400, "invalid_body"),
        (b'{"privacy_settings": {"n": 1e999}}', "application/json", 400, "invalid_body"),
        (b'{"privacy_settings": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json", 400, "invalid_body"),
        (b'{"bio": "' + b"x" * (64 * 1024) + b'"}', "application/json", 413, "too_large"),
    ],
)
def test_bad_bodies_get_their_error_and_change_nothing(db, client, route, body, content_type, status, code):
    uid = db.auth.email_signup("body@example.com")
    before = state(db, uid)
    assert_error(client.put(route, data=body, content_type=content_type, headers=bearer(uid)), status, code)
    assert state(db, uid) == before


def test_unknown_routes_and_methods(client, db):
    uid = db.auth.email_signup("route@example.com")
    assert_error(client.get("/api/users/nobody", headers=bearer(uid)), 404, "not_found")
    response = client.delete("/api/users/me", headers=bearer(uid))
    assert_error(response, 405, "not_found")
    assert "GET" in response.headers["Allow"]


# --- CORS, health, metrics, OpenAPI --------------------------------------------------------------


def test_cors_answers_preflights_for_configured_origins_only(db, client):
    uid = db.auth.email_signup("cors@example.com")
    preflight = client.options(
        "/api/users/profile",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, if-match, x-request-id",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert all(h in allowed for h in ("authorization", "if-match", "x-request-id"))
    response = client.get("/api/users/me", headers={**bearer(uid), "Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "etag" in exposed and "retry-after" in exposed  # the JS client reads both
    for request in (
        client.options(
            "/api/users/profile", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
        ),
        client.get("/api/users/me", headers={**bearer(uid), "Origin": "https://evil.example"}),
    ):
        assert "Access-Control-Allow-Origin" not in request.headers


def test_healthz(db, client):
    assert client.get("/healthz").get_json() == {"success": True, "database": "up"}
    app = make_app(db, database_url="postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    try:
        assert_error(app.test_client().get("/healthz"), 503, "08006")
    finally:
        app.extensions["nura"].close()


def test_healthz_answers_a_flood_of_probes_from_one_check_a_second(db, client):
    def backends() -> int:
        return db.one("select count(*) from pg_stat_activity where application_name = 'nura-users api'")[0]

    connections_before = db.one("select sum(numbackends) from pg_stat_database")[0]
    sessions = db.one("select sessions from pg_stat_database where datname = current_database()")[0]
    for _ in range(200):
        assert client.get("/healthz").status_code == 200
    opened = db.one("select sessions from pg_stat_database where datname = current_database()")[0] - sessions
    assert opened <= 3  # one check a second at most (plus this test's own connections)
    assert backends() <= 4 and db.one("select sum(numbackends) from pg_stat_database")[0] <= connections_before + 4


def test_healthz_never_waits_longer_than_its_timeout_for_a_check_in_flight(db, client):
    database = client.application.extensions["nura"].db
    database._last_health = None
    with database._last_health_lock:  # a check that hangs, holding the answer
        started = time.monotonic()
        response = client.get("/healthz")
    assert response.status_code == 503 and time.monotonic() - started < 5


def test_metrics_need_the_token_when_one_is_set(db):
    app = make_app(db, metrics_token="a-metrics-token")
    client = app.test_client()
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "a-metrics-token"}):
            assert_error(client.get("/metrics", headers=headers), 401, "invalid_token")
        good = client.get("/metrics", headers={"Authorization": "Bearer a-metrics-token"})
        assert good.status_code == 200 and "nura_http_request_duration_seconds" in good.get_data(as_text=True)
    finally:
        app.extensions["nura"].close()


def test_a_down_database_is_503_for_api_calls(db):
    app = make_app(db, database_url="postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    app.extensions["nura"].db.pool.timeout = 1
    try:
        response = app.test_client().get("/api/users/me", headers=bearer(str(uuid.uuid4())))
        assert_error(response, 503, "08006")
        assert response.headers["Retry-After"]
    finally:
        app.extensions["nura"].close()


def test_metrics_are_nura_named_and_read_from_the_database_on_a_schedule(db):
    app = make_app(db)
    app.extensions["nura"].metrics.database.interval = 2
    client = app.test_client()
    try:
        uid = db.auth.email_signup("metric@example.com")
        client.get("/api/users/me", headers=bearer(uid))
        first = scraped_metrics(client)
        assert all(name.startswith("nura_") for name in first)
        # the signup and the session Auth opens in a transaction after it
        assert first['nura_sync_events_total{outcome="succeeded",source="supabase_auth"}'] == 2
        assert first['nura_users{origin="supabase_auth",state="live"}'] == 1
        assert first['nura_drift_problems{problem="missing"}'] == 0
        assert first['nura_http_request_duration_seconds_count{method="GET",route="/api/users/me",status="200"}'] == 1
        assert (
            scraped_metrics(client)["nura_database_metrics_read_timestamp_seconds"]
            == first["nura_database_metrics_read_timestamp_seconds"]
        )  # a scrape does not read the database
        with db.connect() as conn:
            conn.execute("delete from public.users where id = %s", (uid,))
            conn.execute("alter table auth.users disable trigger tg_auth_users__sync_update")
        deadline = time.time() + 10
        while scraped_metrics(client)['nura_drift_problems{problem="trigger_missing"}'] != 1:
            assert time.time() < deadline, "the schedule never read the drift"
            time.sleep(0.1)
        # the row deleted by hand left no log row: the incremental check the schedule reads does not
        # see it, the next full check does, and from then on the schedule reports it
        assert scraped_metrics(client)['nura_drift_problems{problem="missing"}'] == 0
        db.one("select count(*) from nura.check_all()")
        while scraped_metrics(client)['nura_drift_problems{problem="missing"}'] != 1:
            assert time.time() < deadline, "the schedule never read the full check's findings"
            time.sleep(0.1)
    finally:
        app.extensions["nura"].close()


def test_openapi_describes_every_route(app, client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    served = {
        (rule.rule.replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented


def test_no_identity_outlives_its_request(db, app, client):
    uid = db.auth.email_signup("leak@example.com")
    client.get("/api/users/me", headers={**bearer(uid), "X-Request-ID": "r"})
    client.put("/api/users/profile", json={"bio": 5}, headers=bearer(uid))  # fails inside the transaction
    pool = app.extensions["nura"].db.pool
    for _ in range(pool.get_stats()["pool_size"]):
        with pool.connection() as conn:
            role, claims, headers = conn.execute(
                "select current_user, current_setting('request.jwt.claims', true),"
                " current_setting('request.headers', true)"
            ).fetchone()
            assert (role, claims or None, headers or None) == ("postgres", None, None)


def test_connections_killed_under_the_pool_cost_at_most_one_write(db, app, client):
    uid = db.auth.email_signup("restart@example.com")
    assert client.get("/api/users/me", headers=bearer(uid)).status_code == 200

    def kill_api_connections():
        with db.connect("supabase_admin") as conn:
            killed = conn.execute(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                " where datname = %s and application_name = 'nura-users api'",
                (db.name,),
            ).fetchone()[0]
        assert killed >= 1
        time.sleep(0.2)

    kill_api_connections()
    assert client.get("/api/users/me", headers=bearer(uid)).status_code == 200  # a read is run again
    kill_api_connections()
    response = client.put("/api/users/profile", json={"bio": "after"}, headers=bearer(uid))
    assert_error(response, 503, "57P01")  # it may have committed: the client decides
    assert response.headers["Retry-After"]
    assert client.put("/api/users/profile", json={"bio": "after"}, headers=bearer(uid)).status_code == 200
    assert db.user(uid)["bio"] == "after"


def test_hostile_token_headers_are_401_not_500(db, client):
    uid = db.auth.email_signup("header@example.com")
    nested = jwt.utils.base64url_encode(b"[" * 3000 + b"]" * 3000).decode()
    for token in (
        f"{nested}.e30.sig",
        f"{'A' * 5000}.e30.sig",
        "\u00e9t\u00e9.e30.sig",
        "e30",
        ".",
        "..",
        f"{_b64json({'alg': 'HS256', 'kid': ['x']})}.e30.sig",
        f"{_b64json([1, 2])}.e30.sig",
    ):
        assert_error(client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token")
    assert client.get("/api/users/me", headers=bearer(uid)).status_code == 200


def test_a_claim_set_outside_the_request_cannot_stand_in_for_the_token(db):
    """auth.uid() reads request.jwt.claim.sub before request.jwt.claims: a session-level value of it
    (here from ALTER ROLE ... SET) must not make one user act as another."""
    attacker, victim = db.auth.email_signup("attacker@example.com"), db.auth.email_signup("victim2@example.com")
    with db.connect("supabase_admin") as conn:
        conn.execute(f"alter role postgres in database {db.name} set request.jwt.claim.sub = '{victim}'")
    app = make_app(db)
    try:
        before = state(db, victim)
        response = app.test_client().put("/api/users/profile", json={"bio": "whose?"}, headers=bearer(attacker))
        assert response.status_code == 200 and response.get_json()["user"]["id"] == attacker
        assert state(db, victim) == before and db.user(attacker)["bio"] == "whose?"
    finally:
        app.extensions["nura"].close()
        with db.connect("supabase_admin") as conn:
            conn.execute(f"alter role postgres in database {db.name} reset request.jwt.claim.sub")


def test_methods_a_client_makes_up_do_not_become_metric_labels(db, client):
    for i in range(3):
        client.open("/api/users/me", method=f"FOO{i}")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="FOO' not in text and 'method="other"' in text


def test_keys_rotated_at_the_endpoint_are_picked_up_and_an_outage_keeps_the_last_ones(db, jwks, monkeypatch):
    from glue.api.tokens import SigningKeys

    app = make_app(db, jwt_secret=None, jwks_url=jwks.url)
    client = app.test_client()
    keys = app.extensions["nura"].tokens.jwks
    uid = db.auth.email_signup("rotate@example.com")
    original = jwks.keys
    try:
        assert client.get("/api/users/me", headers={"Authorization": f"Bearer {jwks.token(uid)}"}).status_code == 200
        # a new RS256 key appears; within the cooldown its tokens are refused, after it they verify
        from cryptography.hazmat.primitives.asymmetric import rsa

        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rsa_jwk = dict(
            json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())),
            kid="rs256-key-2",
            alg="RS256",
            use="sig",
        )
        jwks.keys = {"keys": [*original["keys"], rsa_jwk]}
        rs_token = access_token(rsa_key, uid, algorithm="RS256", kid="rs256-key-2")
        assert_error(client.get("/api/users/me", headers={"Authorization": f"Bearer {rs_token}"}), 401, "invalid_token")
        keys.attempted_at -= SigningKeys.COOLDOWN_SECONDS
        assert client.get("/api/users/me", headers={"Authorization": f"Bearer {rs_token}"}).status_code == 200
        # the endpoint fails, or answers nonsense, and the keys grow old: the ones known still verify
        for failure in ("down", "nonsense"):
            jwks.down, jwks.keys = failure == "down", None if failure == "nonsense" else jwks.keys
            keys.fetched_at -= SigningKeys.LIFESPAN_SECONDS + 1
            keys.attempted_at -= SigningKeys.COOLDOWN_SECONDS
            fetches = jwks.fetches
            fresh = access_token(rsa_key, uid, algorithm="RS256", kid="rs256-key-2", session_id=failure)
            assert client.get("/api/users/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
            assert jwks.fetches == fetches + 1
    finally:
        jwks.keys, jwks.down = original, False
        app.extensions["nura"].close()


def test_settings_that_could_not_be_right_are_refused():
    from glue.config import ConfigError

    for bad in (
        dict(jwks_url="http://evil.example/jwks.json"),
        dict(cors_origins=("https://app.example.com/path",)),
        dict(cors_origins=("app.example.com",)),
        dict(jwt_secret=None),
    ):
        with pytest.raises(ConfigError):
            ApiSettings(**{"database_url": "postgresql://x", "jwt_secret": SECRET, **bad}).validate()
    ApiSettings(
        database_url="postgresql://x",
        jwks_url="http://127.0.0.1:9/jwks.json",
        cors_origins=("*", "http://localhost:5173"),
    ).validate()


def test_a_busy_pool_or_a_full_server_is_not_a_database_that_is_down(db):
    """Only an unreachable server makes calls answer 503 at once; one that refuses a connection
    (too many for the role) answered, so calls keep going to the pool."""
    app = make_app(db)
    nura = app.extensions["nura"]
    client = app.test_client()
    uid = db.auth.email_signup("limits@example.com")
    try:
        assert client.get("/api/users/me", headers=bearer(uid)).status_code == 200
        with db.connect("supabase_admin") as conn:
            conn.execute("alter role postgres connection limit 0")
        try:
            assert nura.db.ping(1) is False and nura.db._down_until is None
        finally:
            with db.connect("supabase_admin") as conn:
                conn.execute("alter role postgres connection limit -1")
        assert client.get("/api/users/me", headers=bearer(uid)).status_code == 200  # the pooled connection
    finally:
        nura.close()
