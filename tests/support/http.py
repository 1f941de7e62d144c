"""What the HTTP tests share: the secrets the test servers and apps are set up with, a real
`nura-users` process on a free port, JSON requests over HTTP, an app built from test settings,
and readers of what it answers (errors, metrics, webhook events)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from glue import create_app
from glue.config import ApiSettings
from glue.dev.localpg import free_port
from glue.dev.supabase_standin import access_token

SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
WEBHOOK_SECRET = "test-webhook-secret"
ORIGIN = "https://app.example.com"


def raw(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes), whatever the status."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def request_json(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    """A JSON call: (status, headers, the decoded reply)."""
    data = None if body is None else json.dumps(body).encode()
    status, reply_headers, body_bytes = raw(
        url, method, data, {**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    )
    return status, reply_headers, json.loads(body_bytes or b"null")


class Server:
    """`nura-users serve` (or `command`, such as `dev ...`) as a process on a free port, up once
    /healthz answers 200."""

    def __init__(
        self, database_url: str | None, *, command: tuple[str, ...] = ("serve",), start_seconds: float = 30, **env: str
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = {"DATABASE_URL": database_url, "SUPABASE_JWT_SECRET": SECRET} if database_url else {}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "glue.cli", *command],
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), **database, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # drained as it comes: a full pipe would block the server's logging, and with it the server
        self.output: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._drains = [
            threading.Thread(target=self._drain, args=(stream, self.output[name]), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for drain in self._drains:
            drain.start()
        deadline = time.time() + start_seconds
        while True:
            try:
                if request_json(f"{self.url}/healthz")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None or time.time() > deadline:
                raise AssertionError(f"the server did not start: {self.stop()}")
            time.sleep(0.1)

    @staticmethod
    def _drain(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=40)
        for drain in self._drains:
            drain.join(timeout=10)
        return "".join(self.output["stderr"])


def make_app(db, **overrides):
    settings = dict(
        database_url=db.url("postgres"), jwt_secret=SECRET, webhook_secret=WEBHOOK_SECRET, cors_origins=(ORIGIN,)
    )
    settings.update(overrides)
    app = create_app(ApiSettings(**settings), pool_size=4)
    app.testing = True
    return app


def bearer(user_id: str, **claims) -> dict:
    return {"Authorization": f"Bearer {access_token(SECRET, user_id, **claims)}"}


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["code"] == code and body["error"], body


def scraped_metrics(client) -> dict[str, float]:
    text = client.get("/metrics").get_data(as_text=True)
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def webhook_event(record: dict | None, old_record: dict | None, op: str, **overrides) -> dict:
    """A Supabase Database Webhook payload for auth.users."""
    return {"type": op, "table": "users", "schema": "auth", "record": record, "old_record": old_record, **overrides}
