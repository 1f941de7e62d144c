"""`nura-users dev`: everything on this machine with no configuration. A local PostgreSQL in a
data folder, the Supabase-shaped `auth` stand-in, migrations, demo users signed up the way
Supabase Auth signs them up (so the real triggers run), then it waits until interrupted."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psycopg

from . import migrate as installer
from . import supabase_standin
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


def _add_demo_users(auth: supabase_standin.AuthServer, url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        known = {r[0] for r in conn.execute("select email from auth.users where email is not null")}
    return [auth.email_signup(email, data, sign_in=True) for email, data in DEMO_USERS if email not in known]


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def run_dev(data_dir: str | None, port: int) -> int:
    root = Path(data_dir) if data_dir else default_data_dir()
    root.mkdir(parents=True, exist_ok=True)
    cluster = LocalPostgres(root / "pgdata", port)
    started = not cluster.running()
    if started:
        cluster.start()
    try:
        supabase_standin.install(cluster.url(), DBNAME)
        owner_url = cluster.url("postgres", DBNAME)
        report = installer.migrate(owner_url)
        created = _add_demo_users(supabase_standin.AuthServer(cluster.url("supabase_auth_admin", DBNAME)),
                                  owner_url)
        print(f"nura-users dev: PostgreSQL {cluster.data_dir} on port {port}; "
              f"migrations applied: {', '.join(report.applied) or 'none pending'}; "
              f"demo users added: {len(created)}")
        print(f"  DATABASE_URL={owner_url}")
        print(f"  psql '{owner_url}' -c 'select id, email, full_name from public.users'")
        print(f"  sign up like Supabase Auth: psql '{cluster.url('supabase_auth_admin', DBNAME)}'")
        print("  Ctrl-C stops it.", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    finally:
        if started:
            cluster.stop()
    return 0
