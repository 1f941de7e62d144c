"""A PostgreSQL server that tests can SIGKILL and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psycopg

from glue.dev.localpg import LocalPostgres, bindir


def postmaster(pg: LocalPostgres, settings: tuple[str, ...] = ()) -> subprocess.Popen:
    """The server as a child of this process (pg_ctl would leave it to init, which here may never
    reap it once killed, so a restart would see it still 'running')."""
    command = [
        str(bindir() / "postgres"),
        "-D",
        str(pg.data_dir),
        *pg.server_options(),
        *(arg for setting in settings for arg in ("-c", setting)),
    ]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            psycopg.connect(pg.url(), connect_timeout=1).close()
            return server
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def kill_server(pg: LocalPostgres, server: subprocess.Popen) -> None:
    """SIGKILL the postmaster and every backend, as the OOM killer would."""
    pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGSTOP)  # so it restarts nothing while its backends die
    subprocess.run(["pkill", "-9", "-P", str(pid)], check=False)
    os.kill(pid, signal.SIGKILL)
    if server.pid != pid:
        os.kill(server.pid, signal.SIGCONT)  # runuser stops itself when its child stops
    server.wait(timeout=30)
