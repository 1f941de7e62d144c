"""Checks that keep the codebase easy to find one's way in: the committed schema snapshot is what
migrate makes, plpgsql_check and ruff find nothing, the entry points roles may call are the files
of the *_api/ folders and nothing else, no SQL folder grows past 20 files, every table has a
primary key, no test module imports another, and the glue package has no import cycle."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.debian import apt_install, can_install
from tests.support.schema import SNAPSHOT, snapshot

ROOT = Path(__file__).resolve().parents[1]
PLPGSQL = ROOT / "plpgsql"
API_ROLES = ("anon", "authenticated", "service_role", "nura_service")
# The one function granted outside an *_api/ folder: the legacy views call it with their reader's
# rights (they are security_invoker), so their readers need EXECUTE.
GRANTED_FOR_VIEWS = {
    "nura.legacy_extras",
    "nura.counted_sync_logs",
    "nura.sync_log_counted_through",
    "nura.counted_users",
}


def test_the_committed_schema_snapshot_is_what_migrate_makes(cluster, templates):
    assert snapshot(cluster, templates["migrated"]) == SNAPSHOT.read_text(), (
        "the schema changed: run `.venv/bin/python -m tests.support.schema`, and review the diff of tests/schema.sql"
    )


def _plpgsql_check_available(db) -> bool:
    with db.connect("supabase_admin") as conn:
        return conn.execute(
            "select exists (select from pg_available_extensions where name = 'plpgsql_check')"
        ).fetchone()[0]


def test_plpgsql_check_finds_nothing_in_any_function(db):
    if not _plpgsql_check_available(db):
        if os.environ.get("CI") == "true":
            pytest.fail("plpgsql_check is not installed: .ci/run installs postgresql-15-plpgsql-check")
        if not can_install():
            pytest.skip("needs Debian's postgresql-15-plpgsql-check")
        apt_install("postgresql-15-plpgsql-check")
    with db.connect("supabase_admin") as conn:
        conn.execute("create extension plpgsql_check")
        findings = conn.execute("""
            select p.oid::regprocedure::text, c.lineno, c.message, c.detail
            from pg_catalog.pg_proc p
            join pg_catalog.pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
            left join lateral (select g.tgrelid from pg_catalog.pg_trigger g where g.tgfoid = p.oid limit 1) t on true
            cross join lateral plpgsql_check_function_tb(p.oid, coalesce(t.tgrelid, 0),
                                                         extra_warnings => true, other_warnings => true) c
            where p.pronamespace = 'nura'::regnamespace
              and (p.prorettype <> 'trigger'::regtype or t.tgrelid is not null)""").fetchall()
    assert findings == []


def _defined_in(folder_filter) -> set[str]:
    names = set()
    for path in PLPGSQL.rglob("nura.*.sql"):
        if folder_filter(path.relative_to(PLPGSQL).parts[0]):
            names.add(path.name.removesuffix(".sql"))
    return names


def test_the_entry_points_are_the_files_of_the_api_folders(db):
    granted = {
        name
        for (name,) in db.all(
            """
        select distinct 'nura.' || p.proname from pg_catalog.pg_proc p
        cross join unnest(%s::text[]) r(role)
        where p.pronamespace = 'nura'::regnamespace and pg_catalog.has_function_privilege(r.role, p.oid, 'execute')
        union
        select distinct 'nura.' || c.relname from pg_catalog.pg_class c
        cross join unnest(%s::text[]) r(role)
        where c.relnamespace = 'nura'::regnamespace and c.relkind = 'v'
          and pg_catalog.has_table_privilege(r.role, c.oid, 'select')""",
            (list(API_ROLES), list(API_ROLES)),
        )
    }
    assert granted - GRANTED_FOR_VIEWS == _defined_in(lambda folder: folder.endswith("_api"))


def test_no_sql_folder_holds_more_than_twenty_files():
    crowded = {
        str(d.relative_to(ROOT)): n
        for d in [PLPGSQL, *PLPGSQL.rglob("*")]
        if d.is_dir()
        if (n := len(list(d.glob("*.sql")))) > 20
    }
    assert crowded == {}


def test_every_table_of_ours_has_a_primary_key(db):
    # Supabase's linter (splinter), lint 0004 no_primary_key
    assert (
        db.all("""select c.oid::regclass::text from pg_catalog.pg_class c
                     where c.relnamespace in ('public'::regnamespace, 'nura'::regnamespace) and c.relkind in ('r', 'p')
                       and not exists (select from pg_catalog.pg_index i
                                       where i.indrelid = c.oid and i.indisprimary)""")
        == []
    )


def _imports(path: Path) -> set[str]:
    """The modules a file imports, relative imports resolved against its package."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_no_test_module_imports_another():
    borrowed = {
        path.name: sorted(m for m in _imports(path) if m.startswith(("tests.test_", "tests.conftest")))
        for path in (ROOT / "tests").glob("test_*.py")
    }
    assert {name: modules for name, modules in borrowed.items() if modules} == {}


def test_the_glue_package_has_no_import_cycle():
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "glue").rglob("*.py")
    }
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}

    def cycle_from(start: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in graph[start]:
            if nxt == seen[0]:
                return (*seen, nxt)
            if nxt not in seen and (found := cycle_from(nxt, (*seen, nxt))):
                return found
        return None

    cycles = [c for name in graph if (c := cycle_from(name, (name,)))]
    assert cycles == []


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_finds_nothing(command):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extras: pip install -e '.[test]'"
    done = subprocess.run([ruff, *command, str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_link_in_the_docs_leads_somewhere():
    pages = [ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").glob("*.md")]
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text())
        if not (page.parent / target).exists()
    ]
    assert broken == []


def test_the_readme_stays_a_front_door():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
