"""A throwaway or persistent local PostgreSQL cluster, for `nura-users dev` and the tests.

initdb and pg_ctl refuse to run as root, so as root the cluster belongs to, and the server runs
as, the `postgres` OS user (through runuser); as anyone else it runs as that user. The bootstrap
superuser is `supabase_admin`, as on the Supabase platform, so that the `postgres` role can be
the ordinary, non-superuser project owner it is there.

The server listens on no TCP address, only on a Unix socket in its data folder, which only its
owner (and root) may enter: with no password needed, no other user of the machine can get in.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from ..errors import OperatorError

SUPERUSER = "supabase_admin"
MAX_SOCKET_PATH = 107  # sockaddr_un's sun_path, less its terminating NUL


class LocalPostgresError(OperatorError):
    pass


def bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if versions:
        return Path(versions[-1]).parent
    raise LocalPostgresError("no PostgreSQL server binaries found (pg_ctl is not on PATH nor in /usr/lib/postgresql)")


def _give_to_postgres(path: Path) -> None:
    try:
        shutil.chown(path, "postgres", "postgres")
    except LookupError:
        raise LocalPostgresError(
            "as root, the local PostgreSQL runs as the postgres OS user, and there is none "
            "(install postgresql, or run as another user)"
        ) from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int
    settings: tuple[str, ...] = ()  # extra `-c name=value` server settings

    @classmethod
    def throwaway(cls, settings: tuple[str, ...] = ()) -> LocalPostgres:
        """A cluster in a new temporary folder (one the postgres OS user may enter, under root);
        `discard()` removes it."""
        base = Path(tempfile.mkdtemp(prefix="nura-pg-"))
        if os.geteuid() == 0:
            _give_to_postgres(base)
        return cls(base / "pgdata", free_port(), settings)

    def discard(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *argv: str, check: bool = True) -> int:
        cmd = [str(bindir() / argv[0]), *argv[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise LocalPostgresError(f"{argv[0]} failed: {tail[0]} (server log: {self.log_file})")
        return done.returncode

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            _give_to_postgres(self.data_dir)
        os.chmod(self.data_dir, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=reject",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )

    def listens_on_tcp(self) -> bool:
        """Whether the running server (started by an earlier release) takes TCP connections."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            return conn.execute("show listen_addresses").fetchone()[0] != ""

    def running(self) -> bool:
        return self.initialised() and self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False) == 0

    def server_options(self) -> list[str]:
        """`postgres` options: this port's socket in the data folder, no TCP address."""
        return [
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=",
            "-c",
            f"unix_socket_directories={self.data_dir}",
            *(arg for setting in self.settings for arg in ("-c", setting)),
        ]

    def start(self) -> None:
        socket_path = self.data_dir / f".s.PGSQL.{self.port}"
        if len(str(socket_path).encode()) > MAX_SOCKET_PATH:
            raise LocalPostgresError(
                f"the data folder's path is too long for PostgreSQL's socket ({socket_path}: "
                f"at most {MAX_SOCKET_PATH} bytes): choose a shorter --data-dir"
            )
        if not self.initialised():
            self.init()
        options = " ".join(shlex.quote(o) for o in self.server_options())
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    @property
    def host(self) -> str:
        """Where the socket is: libpq's host (psql -h, pgbench -h)."""
        return str(self.data_dir)

    def url(self, user: str = SUPERUSER, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@/{dbname}?{urlencode({'host': self.host, 'port': self.port})}"
