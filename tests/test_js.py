"""The JS client (clients/js) and the dev console, against a real `nura-users dev`: the client's
type check, its unit tests (Node's test runner, React bindings in jsdom), and the console end to
end in Debian's headless Chromium. npm installs what clients/js locks; Chromium is Debian's."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from glue.dev.localpg import free_port
from tests.support.debian import apt_install, can_install
from tests.support.http import Server, raw, request_json

CLIENT = Path(__file__).resolve().parent.parent / "clients" / "js"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"


def _missing(what: str) -> None:
    """Outside CI a missing tool skips; in CI it fails: CI must run everything."""
    if IN_CI:
        pytest.fail(f"{what} (.ci/run installs it)")
    pytest.skip(what)


def _run(argv: list[str], *, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        cwd=CLIENT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def _passed(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, f"{' '.join(done.args)} failed:\n{done.stdout[-20000:]}\n{done.stderr[-5000:]}"


@pytest.fixture(scope="module")
def node_modules():
    """`npm ci` when the lock file changed since the last install."""
    if not shutil.which("npm") or not shutil.which("node"):
        _missing("npm (Node.js 20+) is not installed")
    version = _run(["node", "--version"]).stdout.strip()  # v20.11.1
    if int(version.lstrip("v").split(".")[0]) < 20:
        _missing(f"Node.js {version} is too old: the tests need 20+")
    installed = CLIENT / "node_modules" / ".package-lock.json"
    lock = CLIENT / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _passed(_run(["npm", "ci", "--no-audit", "--no-fund"]))


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        if can_install():
            # root with Debian's packages: the test sets up its own browser
            apt_install("chromium")
        else:
            _missing(f"{CHROMIUM} is missing: apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def dev_server():
    """`nura-users dev` as a user starts it, in its own data folder and ports."""
    base = Path(tempfile.mkdtemp(prefix="nura-dev-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")  # the server runs as postgres and must enter it
    server = Server(
        None, command=("dev", "--data-dir", str(base / "dev"), "--pg-port", str(free_port())), start_seconds=120
    )
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_client_type_checks(node_modules):
    """The sources check as strict TypeScript, and a TypeScript app using the emitted declarations
    (with supabase-js's own client and session types) compiles."""
    _passed(_run(["npm", "run", "--silent", "build"]))
    _passed(_run(["npm", "run", "--silent", "typecheck"]))


def test_client_against_dev(node_modules, dev_server):
    _passed(_run(["node", "--test", "--test-concurrency=1", "test/"], env={"NURA_API_URL": dev_server.url}))


def test_console_end_to_end_in_chromium(node_modules, chromium, dev_server):
    shots = CLIENT / "e2e" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)  # only this run's may pass the check below
    _passed(
        _run(
            ["node", "--test", "e2e/"],
            env={"NURA_API_URL": dev_server.url, "NURA_CHROMIUM": str(chromium), "NURA_SCREENSHOT_DIR": str(shots)},
        )
    )
    assert (shots / "console-profile-saved.png").stat().st_size > 10_000


def test_dev_serves_the_console_and_serve_does_not(db, dev_server):
    status, headers, _ = raw(f"{dev_server.url}/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert raw(f"{dev_server.url}/console/client/index.js")[0] == 200
    for escape in ("../package.json", "%2e%2e/package.json", "..%2fpackage.json"):  # clients/js/package.json exists
        assert raw(f"{dev_server.url}/console/client/{escape}")[0] == 404, escape
    served = Server(db.url("postgres"))
    try:
        for path in ("/", "/console/static/console.js", "/console/client/index.js", "/console/api/state"):
            assert request_json(f"{served.url}{path}")[0] == 404, path
        assert request_json(f"{served.url}/console/api/users", "POST", {"email": "x@example.com"})[0] in (404, 405)
    finally:
        served.stop()


def test_console_api_refuses_bad_input_and_changes_nothing(dev_server):
    before = request_json(f"{dev_server.url}/console/api/state")[2]["users"]
    for body in (
        {},
        {"email": "not-an-email"},
        {"email": 5},
        {"email": "a@example.com", "full_name": "x" * 201},
        {"kind": "nope", "email": "a@example.com"},
        {"kind": "phone", "phone": "12"},
        {"kind": "google"},
    ):
        status, _, reply = request_json(f"{dev_server.url}/console/api/users", "POST", body)
        assert status == 400 and reply["code"] == "invalid_body", (body, reply)
    status, _, reply = request_json(
        f"{dev_server.url}/console/api/users", "POST", {"email": before[0]["email"].upper()}
    )
    assert status == 422 and reply["code"] == "user_already_exists"
    unknown = "00000000-0000-0000-0000-000000000000"
    for path in (
        f"/users/{unknown}/sign-in",
        f"/users/{unknown}/drift",
        "/users/not-a-uuid/sign-in",
        f"/users/{unknown}/auth/refresh",
    ):
        assert request_json(f"{dev_server.url}/console/api{path}", "POST", {})[0] == 404, path
    assert request_json(f"{dev_server.url}/console/api/state?user=nope")[0] == 400
    assert request_json(f"{dev_server.url}/console/api/state")[2]["users"] == before


def test_console_drives_auths_flows(dev_server):
    def post(path, body=None):
        return request_json(f"{dev_server.url}/console/api{path}", "POST", body or {})

    def shown(user_id):
        return request_json(f"{dev_server.url}/console/api/state?user={user_id}")[2]["selected"]

    signups = {
        "email_unconfirmed": {"email": "waiting@flows.example"},
        "phone": {"phone": "+14155550199", "full_name": "Phoebe"},
        "anonymous": {},
        "google": {"email": "g@flows.example", "full_name": "Gee"},
    }
    ids = {}
    for kind, body in signups.items():
        status, _, reply = post("/users", {"kind": kind, **body})
        assert status == 201, (kind, reply)
        ids[kind] = reply["id"]
    assert shown(ids["phone"])["user"]["phone_number"] == "+14155550199"
    assert shown(ids["google"])["user"]["full_name"] == "Gee"

    waiting = ids["email_unconfirmed"]
    assert post(f"/users/{waiting}/auth/refresh")[0] == 409  # no session yet
    assert post(f"/users/{waiting}/auth/confirm-email-change")[0] == 409  # no change asked for
    assert post(f"/users/{waiting}/auth/confirm-email")[0] == 200
    assert shown(waiting)["user"]["email_confirmed_at"] is not None
    assert post(f"/users/{waiting}/auth/confirm-email")[0] == 409  # confirmed already
    logged = len(shown(waiting)["sync_log"])
    assert post(f"/users/{waiting}/auth/refresh")[0] == 200
    assert len(shown(waiting)["sync_log"]) == logged  # a refresh changes nothing we mirror

    assert post(f"/users/{ids['google']}/auth/oauth-login", {"full_name": "Gee Whiz"})[0] == 200
    assert shown(ids["google"])["user"]["full_name"] == "Gee Whiz"
    assert post(f"/users/{waiting}/auth/oauth-login")[0] == 409  # not a Google user

    anonymous = ids["anonymous"]
    assert post(f"/users/{anonymous}/auth/request-email-change", {"email": "no-longer-anon@flows.example"})[0] == 200
    assert post(f"/users/{anonymous}/auth/confirm-email-change")[0] == 200
    assert shown(anonymous)["user"]["email"] == "no-longer-anon@flows.example"

    for flow in ("ban", "logout", "soft-delete"):
        assert post(f"/users/{ids['phone']}/auth/{flow}")[0] == 200, flow
    listed = [u["id"] for u in request_json(f"{dev_server.url}/console/api/state")[2]["users"]]
    assert ids["phone"] not in listed and waiting in listed
    assert post(f"/users/{ids['phone']}/auth/ban")[0] == 404  # deleted
    assert post(f"/users/{anonymous}/auth/hard-delete")[0] == 200
    assert post(f"/users/{anonymous}/auth/nonsense")[0] == 404
    assert request_json(f"{dev_server.url}/console/api/state")[2]["drift"] == []


def test_console_refuses_what_another_site_could_send(dev_server):
    """DNS rebinding (a Host that is a name) and cross-site forms (writes that are not JSON)."""
    user_id = request_json(f"{dev_server.url}/console/api/state")[2]["users"][0]["id"]
    status, _, reply = request_json(
        f"{dev_server.url}/console/api/state", headers={"Host": f"evil.example:{dev_server.port}"}
    )
    assert (status, reply["code"]) == (403, "forbidden")
    status, _, reply = request_json(
        f"{dev_server.url}/console/api/users/{user_id}/sign-in",
        "POST",
        headers={"Host": f"rebound.example:{dev_server.port}"},
    )
    assert status == 403
    for path in (f"/users/{user_id}/sign-in", f"/users/{user_id}/drift", "/reconcile"):
        status, _, reply = request_json(
            f"{dev_server.url}/console/api{path}", "POST", headers={"Content-Type": "text/plain"}
        )
        assert (status, reply["code"]) == (415, "unsupported_media_type"), path
    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert (
            request_json(f"{dev_server.url}/console/api/state", headers={"Host": f"{host}:{dev_server.port}"})[0] == 200
        )
