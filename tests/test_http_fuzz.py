"""Property-based fuzzing of every route: bodies, webhook payloads and headers by hand-written
strategies, and everything /openapi.json describes by schemathesis. Whatever arrives, the answer is
never a 5xx, and a rejected request changes nothing. NURA_GUARANTEES=full runs over 10,000 cases
(the figure in docs/guarantees.md); the default run a tenth of that."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glue.dev.supabase_standin import access_token
from tests.support.http import SECRET, WEBHOOK_SECRET, make_app

PROFILE_KEYS = ["full_name", "display_name", "bio", "avatar_url", "phone_number", "privacy_settings"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
    | st.sampled_from(
        ["", "https://x.example/a.png", "+4915112345678", "' or 1=1 --", "\u0000", "x" * 2100, "javascript:1"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(PROFILE_KEYS) | st.text(max_size=12), json_values, max_size=5)
bodies = (
    objects.map(lambda o: (json.dumps(o).encode(), "application/json"))
    | json_values.map(lambda v: (json.dumps(v).encode(), "application/json"))
    | st.tuples(st.binary(max_size=200), st.sampled_from(["application/json", "text/plain", ""]))
)

FULL = os.environ.get("NURA_GUARANTEES") == "full"
FUZZ = settings(
    max_examples=2000 if FULL else 200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CASES: Counter = Counter()  # requests sent, and how many were answered 5xx (reported by conftest)


@pytest.fixture
def target(db):
    """A user, a client, and a way to read everything a request may change, over one connection."""
    uid = db.auth.email_signup("fuzz@example.com", {"full_name": "Fuzz"})
    app = make_app(db)
    with db.connect() as conn:

        def snapshot():
            return conn.execute(
                "select (select to_jsonb(u) from public.users u where u.id = %(id)s),"
                " (select jsonb_agg(p order by p.service_type) from public.user_service_profiles p"
                "  where p.user_id = %(id)s),"
                " (select count(*) from public.user_sync_logs l), (select count(*) from public.users)",
                {"id": uid},
            ).fetchone()

        yield uid, app.test_client(), snapshot
    app.extensions["nura"].close()


def _check(response, before, snapshot) -> None:
    CASES["requests"] += 1
    CASES["5xx"] += response.status_code >= 500
    assert response.status_code < 500, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and body["success"] is (response.status_code == 200)
    if response.status_code >= 400:
        assert body["code"] and snapshot() == before


ROUTES = [("PUT", "/api/users/profile"), ("POST", "/api/users/sync"), ("PUT", "/api/users/services/chat")]


@pytest.mark.parametrize("method, route", ROUTES)
def test_fuzzed_user_bodies(target, method, route):
    uid, client, snapshot = target
    auth = {"Authorization": f"Bearer {access_token(SECRET, uid)}"}

    @FUZZ
    @given(body=bodies, wrap=st.booleans())
    def run(body, wrap):
        data, content_type = body
        if wrap and route.startswith("/api/users/services"):
            data, content_type = b'{"service_preferences": ' + data + b"}", "application/json"
        before = snapshot()
        _check(
            client.open(route, method=method, data=data, content_type=content_type or None, headers=auth),
            before,
            snapshot,
        )

    run()


def test_fuzzed_webhook_payloads(target):
    uid, client, snapshot = target
    records = st.fixed_dictionaries(
        {},
        optional={
            "id": st.sampled_from([uid, "not-a-uuid", None]) | st.uuids().map(str),
            "updated_at": json_values | st.sampled_from(["2026-01-01T00:00:00Z", "yesterday"]),
            "email": json_values,
            "raw_user_meta_data": json_values,
            "deleted_at": json_values,
            "phone": json_values,
        },
    )
    payloads = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["INSERT", "UPDATE", "DELETE", "upsert"]) | json_values,
            "table": st.sampled_from(["users", "identities"]),
            "record": records | json_values,
            "old_record": records | json_values,
        },
        optional={"schema": st.sampled_from(["auth", "public"])},
    )

    @FUZZ
    @given(payload=payloads)
    def run(payload):
        before = snapshot()
        response = client.post("/webhooks/supabase-auth", json=payload, headers={"X-Webhook-Secret": WEBHOOK_SECRET})
        _check(response, before, snapshot)

    run()


header_text = st.text(st.characters(max_codepoint=255, blacklist_characters="\r\n"), max_size=600)


def test_fuzzed_headers(target):
    """Every header a client controls, token included: never a 5xx, a rejected request changes
    nothing."""
    uid, client, snapshot = target
    good = f"Bearer {access_token(SECRET, uid)}"
    tokens = (
        header_text.map(lambda t: f"Bearer {t}")
        | header_text
        | st.sampled_from([good, good + "x", good[:-5], good.replace(".", "..", 1)])
    )

    @FUZZ
    @given(
        authorization=tokens,
        if_match=st.none() | header_text,
        user_id=st.none() | header_text | st.just(uid),
        request_id=st.none() | header_text,
        method=st.sampled_from(["GET", "PUT", "POST"]),
    )
    def run(authorization, if_match, user_id, request_id, method):
        headers = {"Authorization": authorization}
        for name, value in (
            ("If-Match", if_match),
            ("X-User-ID", user_id),
            ("X-Request-ID", request_id),
            ("X-Session-ID", request_id),
        ):
            if value is not None:
                headers[name] = value
        route = {"GET": "/api/users/me", "PUT": "/api/users/profile", "POST": "/api/users/sync"}[method]
        before = snapshot()
        _check(client.open(route, method=method, json={"bio": "fuzzed"}, headers=headers), before, snapshot)

    run()


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_everything_openapi_describes(target, mode):
    """schemathesis generates requests for every operation of /openapi.json, valid ones and (the
    negative mode) ones that break the schema, signed in as the user."""
    uid, client, snapshot = target
    schema = schemathesis.openapi.from_wsgi("/openapi.json", client.application)
    headers = {"Authorization": f"Bearer {access_token(SECRET, uid)}", "X-Webhook-Secret": WEBHOOK_SECRET}

    @settings(FUZZ, suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(mode))
    def run(case):
        before = snapshot()
        response = case.call(headers=headers)
        CASES["requests"] += 1
        CASES["5xx"] += response.status_code >= 500
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert snapshot() == before

    run()
