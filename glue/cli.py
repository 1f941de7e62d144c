"""The `nura-users` command. No command prompts; every failure is one line and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import re
import sys

import psycopg
from yoyo import exceptions as yoyo_errors

from . import migrate as installer
from . import schedule as jobs
from .config import database_url, listen_address, migrate_database_url, port_number
from .errors import OperatorError
from .legacy import LEGACY_TABLES, import_legacy, repoint_legacy, switch_legacy, verify_legacy
from .progress import progress_line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        print(f"nura-users: {message} (see nura-users --help)", file=sys.stderr)
        raise SystemExit(2)


def _migrate(args) -> int:
    report = installer.migrate(migrate_database_url())
    applied = ", ".join(report.applied) or "none pending"
    print(
        f"migrations applied: {applied}; {report.definitions} definitions re-applied; "
        f"{report.repaired} users backfilled or repaired"
    )
    return 0


def _rollback(args) -> int:
    undone = installer.rollback(migrate_database_url(), everything=args.all, yes=args.yes)
    print(f"rolled back: {', '.join(undone)}" if undone else "nothing to roll back")
    return 0


def _status(args) -> int:
    s = installer.status(migrate_database_url())
    print(f"migrations applied: {', '.join(s.applied) or 'none'}")
    print(f"migrations pending: {', '.join(s.pending) or 'none'}")
    for name, present in s.triggers.items():
        print(f"trigger {name} on auth.users: {'present' if present else 'MISSING'}")
    if s.drift is not None:
        print(f"drift: {s.drift} problem(s) (nura-users check lists them)")
        print(f"last full drift check: {f'{s.full_check_at:%Y-%m-%d %H:%M:%S%z}' if s.full_check_at else 'never'}")
    if s.unsettled_log_rows is not None:
        # a transaction held open (or a forgotten prepared one) keeps the watermark from moving
        print(f"sync log rows beyond the incremental check's watermark: {s.unsettled_log_rows}")
    for m in s.sync_metrics:
        print(
            f"sync from {m['source']}: {m['succeeded']}/{m['total']} succeeded "
            f"(success rate {m['success_rate']}), last failure {m['last_failure_at'] or 'never'}"
        )
    for line in s.legacy:
        print(line)
    if s.jobs is None:
        print("scheduled jobs: none, pg_cron is not installed here (nura-users schedule says what to run instead)")
    else:
        print(*s.jobs or ["scheduled jobs: none (nura-users schedule installs them)"], sep="\n")
    return 0


def _schedule(args) -> int:
    with psycopg.connect(migrate_database_url(), autocommit=True) as conn:
        if not jobs.has_pg_cron(conn):
            print("\n".join(jobs.crontab(args.prune_older_than)))
            raise OperatorError(
                "pg_cron is not installed in this database: nothing was scheduled; the crontab lines above run the same"
            )
        if args.remove:
            print(f"removed {jobs.remove(conn)} scheduled job(s)")
            return 0
        for job in jobs.install(conn, args.prune_older_than):
            print(f"scheduled: {jobs.JOB_PREFIX}{job.name} ({job.schedule}): {job.sql}")
    return 0


def _check(args) -> int:
    check = "check_changes" if args.changes else "check_all"
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            f"select user_id, problem, detail from nura.{check}() order by problem, user_id"  # one of two names
        ).fetchall()
    for user_id, problem, detail in rows:
        print(f"{problem}\t{user_id or '-'}\t{json.dumps(detail)}")
    print(f"{len(rows)} problem(s)" if rows else "no drift")
    return 1 if rows else 0


def _reconcile(args) -> int:
    with psycopg.connect(database_url(), autocommit=True) as conn:
        # rows a killed legacy import left staged (personal data in a scratch table), in a short
        # transaction of their own; only the owner may (a service's role reconciles without it)
        owner = "select pg_catalog.has_function_privilege('nura.legacy_clear_abandoned()', 'execute')"
        if conn.execute(owner).fetchone()[0]:
            conn.execute("select nura.legacy_clear_abandoned()")
        repaired = installer.reconcile(conn)
    print(f"repaired {repaired} user(s)")
    return 0


PRUNE_BATCH = 10_000


def _prune(args) -> int:
    done = 0
    with psycopg.connect(migrate_database_url(), autocommit=True) as conn:
        before = conn.execute("select now() - make_interval(days => %s)", (args.older_than,)).fetchone()[0]
        after = 0
        with progress_line() as show:
            while after is not None:  # one short transaction per batch; a run cut short carries on
                after, rows = conn.execute(
                    "select last_id, pruned from nura.prune_sync_logs(%s, %s, %s, %s)",
                    (before, after, PRUNE_BATCH, args.yes),
                ).fetchone()
                done += rows
                show(f"{'pruned' if args.yes else 'counted'} {done} row(s)")
    if args.yes:
        print(f"pruned {done} sync-log row(s) older than {args.older_than} days")
    else:
        print(f"{done} sync-log row(s) older than {args.older_than} days would be pruned; pass --yes to prune them")
    return 0


def _legacy_import(args) -> int:
    def progress(done: int, batches: int, counts: dict) -> None:
        print(
            f"batch {done}/{batches}: {counts['rows']} rows, {counts['people']} people, "
            f"{counts['created']} created, {counts['conflicts']} conflicts",
            flush=True,
        )

    totals = import_legacy(migrate_database_url(), batch_size=args.batch_size, dry_run=args.dry_run, progress=progress)
    print(
        f"{'dry run, nothing written: ' if args.dry_run else ''}{totals['rows']} legacy rows, "
        f"{totals['people']} people: {totals['created']} created, {totals['merged']} merged from several rows, "
        f"{totals['matched_to_auth']} matched to auth accounts, {totals['profiles']} profiles written, "
        f"{totals['conflicts']} conflicts recorded"
        + (
            f"; {totals['deferred']} people deferred, as they changed while the import ran: run it again"
            if totals["deferred"]
            else ""
        )
    )
    return 0


def _legacy_verify(args) -> int:
    problems = verify_legacy(migrate_database_url())
    for table, legacy_id, field, value, problem in problems:
        print(f"{problem}\t{table}\t{legacy_id}\t{field or '-'}\t{(value or '')[:200]}")
    print(f"{len(problems)} problem(s)" if problems else "every legacy row is mapped and every value kept")
    return 1 if problems else 0


def _legacy_switch(args) -> int:
    for table, outcome in switch_legacy(
        migrate_database_url(), [args.table] if args.table else list(LEGACY_TABLES), back=args.back
    ):
        print(f"{table}: {outcome}")
    return 0


def _legacy_repoint(args) -> int:
    rows = repoint_legacy(migrate_database_url(), args.column, back=args.back)
    if rows is None:
        print(f"{args.column}: {'not repointed' if args.back else 'already repointed'}, nothing to do")
    elif args.back:
        print(f"{args.column}: {rows} rows hold their legacy ids again; its foreign key is back as it was")
    else:
        print(
            f"{args.column}: {rows} rows now hold user ids; its foreign key references public.users (on update cascade)"
        )
    return 0


def _serve(args) -> int:
    from .api.serve import serve

    host, port = listen_address(args.host, args.port)
    return serve(host, port)


def _dev(args) -> int:
    from .dev import run_dev

    return run_dev(data_dir=args.data_dir, port=args.pg_port)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nura-users", description="One normalized users table for a Supabase backend.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("migrate", help="apply migrations, re-apply functions and triggers, backfill").set_defaults(
        run=_migrate
    )
    p = commands.add_parser("rollback", help="undo the last migration (or all)")
    p.add_argument("--all", action="store_true", help="undo every migration")
    p.add_argument("--yes", action="store_true", help="drop tables even if they hold rows")
    p.set_defaults(run=_rollback)
    commands.add_parser("status", help="migrations, triggers, drift, sync success").set_defaults(run=_status)
    p = commands.add_parser("check", help="the drift report (a full check); exit 1 on drift")
    p.add_argument(
        "--changes", action="store_true", help="only what was written since the last check, and what it knew"
    )
    p.set_defaults(run=_check)
    commands.add_parser("reconcile", help="repair drift").set_defaults(run=_reconcile)
    p = commands.add_parser("prune", help="delete old sync-log rows, keeping what a repair needs")
    p.add_argument("--older-than", type=_days, required=True, metavar="DAYS", help="delete rows older than this")
    p.add_argument("--yes", action="store_true", help="delete them (without it: say how many there are)")
    p.set_defaults(run=_prune)
    p = commands.add_parser("schedule", help="install the maintenance jobs in pg_cron (or say what to run instead)")
    p.add_argument(
        "--prune-older-than",
        type=_days,
        default=jobs.DEFAULT_PRUNE_DAYS,
        metavar="DAYS",
        help=f"what the prune job keeps (default {jobs.DEFAULT_PRUNE_DAYS} days)",
    )
    p.add_argument("--remove", action="store_true", help="remove the jobs instead")
    p.set_defaults(run=_schedule)
    legacy = commands.add_parser("legacy", help="move chat_users, voice_users and custom_users in")
    legacy_commands = legacy.add_subparsers(dest="legacy_command", required=True, parser_class=_Parser)
    p = legacy_commands.add_parser("import", help="import the legacy tables, in batches, resumable")
    p.add_argument("--dry-run", action="store_true", help="do it all, report, and write nothing")
    p.add_argument("--batch-size", type=_positive, default=10_000, help="people per transaction (default 10000)")
    p.set_defaults(run=_legacy_import)
    legacy_commands.add_parser(
        "verify", help="every legacy row mapped and every value kept; exit 1 if not"
    ).set_defaults(run=_legacy_verify)
    p = legacy_commands.add_parser(
        "switch", help="put views over the normalized users in place of the legacy tables (kept as legacy_<name>)"
    )
    p.add_argument("--table", choices=LEGACY_TABLES, help="only this table")
    p.add_argument("--back", action="store_true", help="put the tables back, with what was written meanwhile")
    p.set_defaults(run=_legacy_switch)
    p = legacy_commands.add_parser("repoint", help="move a column holding legacy ids (and its foreign key) to user ids")
    p.add_argument("column", metavar="TABLE.COLUMN", help="e.g. conversations.user_id")
    p.add_argument("--back", action="store_true", help="put the legacy ids and the foreign key back")
    p.set_defaults(run=_legacy_repoint)
    p = commands.add_parser("serve", help="the HTTP API on a production WSGI server")
    p.add_argument("--host", help="the address to listen on (default: HOST, else 127.0.0.1)")
    p.add_argument("--port", type=_port, help="the port to listen on (default: PORT, else 8000)")
    p.set_defaults(run=_serve)
    p = commands.add_parser(
        "dev",
        help="a local PostgreSQL with a Supabase-shaped auth, migrated, with demo users, and the API on HOST:PORT",
    )
    p.add_argument("--data-dir", help="where the local cluster lives (default: a per-user data folder)")
    p.add_argument("--pg-port", type=_port, default=54329, help="the local PostgreSQL's port (default 54329)")
    p.set_defaults(run=_dev)
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return int(text)


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 36_500:
        raise argparse.ArgumentTypeError(f"not a number of days from 1 to 36500: {text!r}")
    return int(text)


def _port(text: str) -> int:
    if (port := port_number(text)) is None:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


_URL_PASSWORD = re.compile(r"([\w.%+-]+:)[^\s@/]+@")  # user:password@host
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)\S+", re.I)


def _redacted(message: str) -> str:
    """Connection errors can quote the URL: never print its password."""
    return _KEYWORD_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", message))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except OperatorError as e:
        message = str(e)
    except yoyo_errors.LockTimeout:
        message = (
            f"another migrate holds the lock (or one was killed mid-run): if none is running, "
            f"delete from {installer.MIGRATIONS_SCHEMA}.yoyo_lock"
        )
    except (yoyo_errors.BadMigration, yoyo_errors.MigrationConflict) as e:
        message = f"migration: {e}"
    except psycopg.Error as e:
        message = getattr(e.diag, "message_primary", None) or str(e)
        if hint := getattr(e.diag, "message_hint", None):
            message = f"{message} ({hint})"
    except OSError as e:  # a folder that cannot be made or written, a port taken, ...
        message = f"{e.strerror or e}{f': {e.filename}' if e.filename else ''}"
    except KeyboardInterrupt:
        return 130
    lines = _redacted(message).strip().splitlines() or ["unknown error"]
    print(f"nura-users: error: {lines[0]}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
