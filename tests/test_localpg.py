"""The local PostgreSQL that `nura-users dev` and the tests run lets in only its own OS user: it
listens on no TCP address, and its socket lies in a folder only that user (and root) may enter."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import psycopg
import pytest

from glue.dev.localpg import SUPERUSER, bindir


def test_no_tcp_address_is_listened_on(cluster):
    for address in ("127.0.0.1", "::1"):
        with pytest.raises(OSError):
            socket.create_connection((address, cluster.port), timeout=2).close()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        assert conn.execute("show listen_addresses").fetchone()[0] == ""


def test_another_user_of_the_machine_cannot_reach_the_socket(cluster):
    assert stat.S_IMODE(os.stat(cluster.data_dir).st_mode) == 0o700
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another OS user")
    done = subprocess.run(
        [
            "runuser",
            "-u",
            "nobody",
            "--",
            str(bindir() / "psql"),
            "-h",
            cluster.host,
            "-p",
            str(cluster.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-c",
            "select 1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0 and "Permission denied" in done.stderr, done.stderr


@pytest.mark.parametrize(
    "data_dir, message",
    [
        ("/proc/no-such-folder/dev", "No such file or directory"),
        ("/tmp/" + "d" * 90, "too long for PostgreSQL's socket"),
    ],
)
def test_dev_refuses_a_data_folder_it_cannot_use_in_one_line(data_dir, message):
    done = subprocess.run(
        [sys.executable, "-m", "glue.cli", "dev", "--data-dir", data_dir],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("nura-users: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
