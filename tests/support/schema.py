"""The shape `nura-users migrate` gives a database: its tables, columns, indexes, constraints,
row level security, policies and grants in `public` and `nura`, as pg_dump writes them, without
the behaviour that plpgsql/ defines (functions, views, triggers). tests/schema.sql is this for a
fresh install, committed so that a migration changing the shape shows its diff in review;
tests/test_checks.py fails when it is out of date. Regenerate it with

    .venv/bin/python -m tests.support.schema
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import SUPERUSER, LocalPostgres, bindir

SNAPSHOT = Path(__file__).resolve().parents[1] / "schema.sql"
_ENTRY = re.compile(r"^--\n-- Name: (?P<name>.*?); Type: (?P<type>[A-Z ]+);.*?\n--\n", re.M)
_BEHAVIOUR = ("FUNCTION", "VIEW", "TRIGGER")


def snapshot(pg: LocalPostgres, dbname: str) -> str:
    dump = subprocess.run(
        [
            str(bindir() / "pg_dump"),
            "-h",
            pg.host,
            "-p",
            str(pg.port),
            "-U",
            SUPERUSER,
            "--schema-only",
            "--no-owner",
            "-n",
            "public",
            "-n",
            "nura",
            dbname,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = list(_ENTRY.finditer(dump))
    kept = []
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        if entry["type"] in _BEHAVIOUR or entry["name"].startswith(_BEHAVIOUR):  # an ACL or comment of one
            continue
        kept.append(dump[entry.start() : following.start() if following else len(dump)].rstrip() + "\n")
    # pg_dump's \restrict lines carry a random key each time: not part of the shape
    lines = [line for line in "".join(kept).splitlines() if not line.startswith(("\\restrict ", "\\unrestrict "))]
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def main() -> None:
    pg = LocalPostgres.throwaway()
    try:
        pg.start()
        supabase_standin.install(pg.url(), "snapshot")
        installer.migrate(pg.url("postgres", "snapshot"))
        SNAPSHOT.write_text(snapshot(pg, "snapshot"))
        print(f"wrote {SNAPSHOT}")
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
