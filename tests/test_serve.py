"""`nura-users serve` as users start it: a real server process over HTTP, its graceful stop, and the
one-line refusals when it cannot serve."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import urllib.error
import urllib.request

import pytest

from glue import cli
from glue.dev.localpg import free_port
from glue.dev.supabase_standin import access_token
from tests.support.http import SECRET, Server, request_json


def test_serve_answers_over_http_and_stops_gracefully(db):
    uid = db.auth.email_signup("served@example.com", {"full_name": "Served"})
    auth = {"Authorization": f"Bearer {access_token(SECRET, uid)}"}
    server = Server(db.url("postgres"))
    try:
        status, headers, body = request_json(f"{server.url}/api/users/me", headers=auth)
        assert status == 200 and body["user"]["full_name"] == "Served"
        etag = headers["ETag"]
        status, headers, body = request_json(
            f"{server.url}/api/users/profile",
            "PUT",
            {"bio": "over HTTP"},
            {**auth, "If-Match": etag, "X-Request-ID": "http-1"},
        )
        assert status == 200 and body["user"]["bio"] == "over HTTP"
        status, _, body = request_json(
            f"{server.url}/api/users/profile", "PUT", {"bio": "stale"}, {**auth, "If-Match": etag}
        )
        assert (status, body["code"]) == (412, "PT412")
        status, _, body = request_json(f"{server.url}/api/users/me")
        assert (status, body["code"]) == (401, "invalid_token")
        # a body sent in chunks, without Content-Length, is held to the same 64 KiB
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request(
            "PUT",
            "/api/users/profile",
            body=iter([b'{"bio": "chunked"}', b" " * 70_000]),
            headers={**auth, "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["code"]) == (413, "too_large")
        connection.close()
    finally:
        stderr = server.stop()
    assert server.process.returncode == 0, stderr
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {(r["route"], r["status"]) for r in logged} >= {("/api/users/me", 200), ("/api/users/profile", 412)}
    assert auth["Authorization"].split()[1] not in stderr
    assert db.logs(uid)[-1]["request_id"] == "http-1"
    # what the server says is what a user needs (where it listens), not what it thinks of its settings
    said = "".join(server.output["stdout"])
    assert "Listening at: http://127.0.0.1" in said
    assert "quite high" not in said and "Websockets" not in said


def test_several_workers_share_their_metrics(db):
    uid = db.auth.email_signup("workers@example.com")
    auth = {"Authorization": f"Bearer {access_token(SECRET, uid)}"}
    server = Server(db.url("postgres"), WEB_CONCURRENCY="2")
    try:
        for _ in range(40):
            assert request_json(f"{server.url}/api/users/me", headers=auth)[0] == 200
        for _ in range(6):  # whichever worker answers, it has every worker's requests and the database's figures
            with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
                text = response.read().decode()
            count = next(
                line
                for line in text.splitlines()
                if line.startswith('nura_http_request_duration_seconds_count{method="GET",route="/api/users/me"')
            )
            assert float(count.rsplit(" ", 1)[1]) == 40
            assert 'nura_users{origin="supabase_auth",state="live"} 1.0' in text
    finally:
        server.stop()


def _serve_error(capsys, monkeypatch, env: dict, *argv: str) -> str:
    for name in ("SUPABASE_JWT_SECRET", "SUPABASE_JWKS_URL", "DATABASE_URL", "PORT", "HOST", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve", *argv]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_serve_refuses_in_one_line_where_it_could_not_serve(db, bare_db, capsys, monkeypatch):
    assert "SUPABASE_JWT_SECRET" in _serve_error(capsys, monkeypatch, {"DATABASE_URL": db.url("postgres")})
    assert "migrate" in _serve_error(
        capsys, monkeypatch, {"DATABASE_URL": bare_db.url("postgres"), "SUPABASE_JWT_SECRET": SECRET}
    )
    assert "grant authenticated" in _serve_error(
        capsys, monkeypatch, {"DATABASE_URL": db.url("supabase_auth_admin"), "SUPABASE_JWT_SECRET": SECRET}
    )
    env = {"DATABASE_URL": db.url("postgres"), "SUPABASE_JWT_SECRET": SECRET}
    assert "PORT" in _serve_error(capsys, monkeypatch, {**env, "PORT": "http"})
    assert "WEB_CONCURRENCY" in _serve_error(capsys, monkeypatch, {**env, "WEB_CONCURRENCY": "lots"})
    assert "https" in _serve_error(capsys, monkeypatch, {**env, "SUPABASE_JWKS_URL": "http://evil.example/keys"})
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "99999"])
    assert "not a port number" in capsys.readouterr().err
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        assert "cannot listen" in _serve_error(capsys, monkeypatch, env, "--port", str(port))


def test_a_burst_of_stop_signals_still_stops_the_server(db):
    """Granian's own handler deadlocked when a second signal arrived inside the first (an impatient
    double Ctrl-C); without the guard in glue/serve.py this hung about one run in five."""
    server = Server(db.url("postgres"))
    for _ in range(200):
        try:
            os.kill(server.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            break
    try:
        server.process.wait(timeout=30)
    finally:
        server.process.kill()
    assert server.process.returncode == 0
