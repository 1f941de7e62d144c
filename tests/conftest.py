"""One throwaway PostgreSQL for the session (as the `postgres` OS user when run as root), two
template databases built once with the same code users run, and a fresh clone per test:

- `bare`: the Supabase-shaped auth stand-in only (to test `migrate` itself);
- `migrated`: the stand-in plus `nura-users migrate`, run as the non-superuser `postgres`.
"""

from __future__ import annotations

import itertools
import os
import sys

import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from glue import cli
from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import SUPERUSER, LocalPostgres
from tests.support.database import FAST_SETTINGS, Database


@pytest.fixture(scope="session")
def cluster():
    pg = LocalPostgres.throwaway(settings=FAST_SETTINGS)
    pg.start()
    yield pg
    pg.discard()


def _template(cluster: LocalPostgres, name: str, migrated: bool) -> str:
    supabase_standin.install(cluster.url(), name)
    if migrated:
        installer.migrate(cluster.url("postgres", name))
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"alter database {name} with is_template true")
    return name


@pytest.fixture(scope="session")
def templates(cluster):
    return {
        "bare": _template(cluster, "tpl_bare", migrated=False),
        "migrated": _template(cluster, "tpl_migrated", migrated=True),
    }


_counter = itertools.count()


def _clone(cluster: LocalPostgres, template: str):
    name = f"t{next(_counter)}_{os.getpid()}"
    janitor = DatabaseJanitor(
        user=SUPERUSER, host=cluster.host, port=cluster.port, dbname=name, template_dbname=template
    )
    janitor.init()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"alter database {name} owner to postgres")
    try:
        yield Database(cluster, name)
    finally:
        janitor.drop()


@pytest.fixture
def db(cluster, templates):
    """A migrated Supabase-shaped database of its own."""
    yield from _clone(cluster, templates["migrated"])


@pytest.fixture
def bare_db(cluster, templates):
    """A Supabase-shaped database that nura-users was never installed into."""
    yield from _clone(cluster, templates["bare"])


@pytest.fixture
def run(monkeypatch, capsys):
    """Runs `nura-users ARGS` against a database; returns (exit code, stdout, stderr)."""

    def _run(database, *args: str, **env: str):
        monkeypatch.setenv("DATABASE_URL", database.url())
        monkeypatch.delenv("MIGRATE_DATABASE_URL", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def pytest_terminal_summary(terminalreporter):
    """The fuzzing's count, for docs/guarantees.md."""
    fuzz = sys.modules.get("tests.test_http_fuzz")
    if fuzz is not None and fuzz.CASES["requests"]:
        terminalreporter.write_line(
            f"GUARANTEE fuzz: {fuzz.CASES['requests']} requests generated (hypothesis and "
            f"schemathesis), {fuzz.CASES['5xx']} answered 5xx"
        )
