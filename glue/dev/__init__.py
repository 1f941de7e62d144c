"""`nura-users dev`: everything on this machine with no configuration. A local PostgreSQL in a
data folder, the Supabase-shaped `auth` stand-in, migrations, demo users signed up the way
Supabase Auth signs them up (so the real triggers run), and the API on HOST:PORT (127.0.0.1:8000),
its tokens signed with a development secret kept in the data folder, with the dev console
(glue.dev.console) at `/`. Nothing in production imports this package."""

from __future__ import annotations

import os
import secrets
import shlex
from pathlib import Path

import psycopg

from .. import migrate as installer
from ..api.serve import serve
from ..config import listen_address
from . import supabase_standin
from .console import is_loopback
from .localpg import LocalPostgres

DBNAME = "nura"
DEMO_USERS = (
    ("ada@example.com", {"full_name": "Ada Lovelace"}),
    ("grace@example.com", {"name": "Grace Hopper", "picture": "https://example.com/grace.png"}),
)


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        # The server runs as the postgres OS user, which cannot enter /root.
        return Path("/var/lib/nura-users/dev")
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "nura-users" / "dev"


def _add_demo_users(auth: supabase_standin.AuthServer, url: str) -> str:
    """Signs up the demo users not there yet; returns the first one's id."""
    with psycopg.connect(url) as conn:
        known = dict(conn.execute("select email, id::text from auth.users where email is not null").fetchall())
    for email, data in DEMO_USERS:
        if email not in known:
            known[email] = auth.email_signup(email, data)
    return known[DEMO_USERS[0][0]]


def _dev_secret(root: Path) -> str:
    """The development JWT secret: made once, kept in the data folder, readable by its owner only."""
    path = root / "jwt-secret"
    if not path.exists():
        fresh = root / "jwt-secret.new"
        fresh.unlink(missing_ok=True)
        fresh.touch(mode=0o600)
        fresh.write_text(secrets.token_urlsafe(48))
        fresh.replace(path)
    return path.read_text().strip()


def run_dev(data_dir: str | None, port: int) -> int:
    root = Path(data_dir) if data_dir else default_data_dir()
    root.mkdir(parents=True, exist_ok=True)
    host, api_port = listen_address(None, None)
    cluster = LocalPostgres(root / "pgdata", port)
    started = not cluster.running()
    if not started and cluster.listens_on_tcp():  # left running by an earlier release: take TCP away
        cluster.stop()
        started = True
    if started:
        cluster.start()
    try:
        supabase_standin.install(cluster.url(), DBNAME)
        owner_url = cluster.url("postgres", DBNAME)
        report = installer.migrate(owner_url)
        demo_user = _add_demo_users(supabase_standin.AuthServer(cluster.url("supabase_auth_admin", DBNAME)), owner_url)
        secret = _dev_secret(root)
        token = supabase_standin.access_token(secret, demo_user, email=DEMO_USERS[0][0], lifetime_seconds=24 * 3600)
        api = f"http://[{host}]:{api_port}" if ":" in host else f"http://{host}:{api_port}"
        auth = shlex.quote(f"Authorization: Bearer {token}")
        print(
            f"nura-users dev: PostgreSQL {cluster.data_dir} on port {port}; "
            f"migrations applied: {', '.join(report.applied) or 'none pending'}"
        )
        print(f"  DATABASE_URL={owner_url}")
        print(f"  the dev console: {api}/ (sign users up and in, edit a profile, watch the sync log and drift)")
        print(f"  the API: {api}/api/users (signed-in user {DEMO_USERS[0][0]}, token valid 24 h)")
        print(f"  curl -s -H {auth} {api}/api/users/me")
        print(
            f"  curl -s -X PUT -H {auth} -H 'Content-Type: application/json' "
            f'-d \'{{"bio": "hello"}}\' {api}/api/users/profile'
        )
        if not is_loopback(host):
            print(
                f"  warning: HOST={host} is not a loopback address: whoever reaches port {api_port} can use "
                "the dev console to act as any user"
            )
        print("  Ctrl-C stops it.", flush=True)
        # what the API's workers read: this database, and tokens signed with the development secret only
        os.environ.update(DATABASE_URL=owner_url, SUPABASE_JWT_SECRET=secret)
        for name in ("SUPABASE_JWKS_URL", "SUPABASE_JWT_ISSUER"):
            os.environ.pop(name, None)
        return serve(host, api_port, workers=1, app="glue.dev.console:worker_app")
    finally:
        if started:
            cluster.stop()
