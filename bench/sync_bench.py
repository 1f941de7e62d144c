"""What the sync costs Supabase Auth: pgbench replays of Auth's own writes against a bare auth
schema and a migrated one, on one durable local cluster (fsync and synchronous_commit on, as on
Supabase), A/B interleaved so drift in the machine hits both sides alike.

    .venv/bin/python bench/sync_bench.py [--seconds 15] [--rounds 3]

Prints a Markdown table: transactions per second (median of the rounds) for a whole email signup
(INSERT + 5 UPDATEs) and a sign-in at 1 and 4 clients, the time of a purge of 10,000 anonymous
users (each with the session its sign-in left), and the bytes of sync log written per signup.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import time
from pathlib import Path

import psycopg

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres, bindir

HERE = Path(__file__).resolve().parent
SEED_USERS = 10_000
PURGED = 10_000

INSERT_USERS = """
insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at,
    updated_at, last_sign_in_at, email_confirmed_at, confirmation_token, recovery_token,
    email_change_token_new, email_change, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    case when %(anonymous)s then null else 'seed' || g || '@bench.example' end, '{}',
    case when %(anonymous)s then '{}' else '{"full_name": "Existing User"}' end::jsonb,
    now() - interval '40 days', now(), now(), now(), '', '', '', '', false, %(anonymous)s
from generate_series(1, %(n)s) g
"""


def pgbench(pg: LocalPostgres, db: str, script: str, clients: int, *, seconds: int = 0, transactions: int = 0) -> float:
    limit = ["-T", str(seconds)] if seconds else ["-t", str(transactions)]
    done = subprocess.run(
        [
            str(bindir() / "pgbench"),
            "-n",
            "-M",
            "extended",
            "-h",
            pg.host,
            "-p",
            str(pg.port),
            "-U",
            "supabase_auth_admin",
            "-c",
            str(clients),
            "-j",
            str(clients),
            *limit,
            "-f",
            str(HERE / "pgbench" / script),
            db,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr or done.stdout)
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))


def prepare(pg: LocalPostgres, db: str, migrated: bool) -> None:
    supabase_standin.install(pg.url(), db)
    if migrated:
        installer.migrate(pg.url("postgres", db))
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        conn.execute(INSERT_USERS, {"anonymous": False, "n": SEED_USERS})
    with psycopg.connect(pg.url(dbname=db)) as conn:
        conn.execute("create table public.bench_users as select row_number() over () as n, id from auth.users")
        conn.execute("alter table public.bench_users add primary key (n)")
        conn.execute("grant select on public.bench_users to supabase_auth_admin")
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum analyze")


def purge_seconds(pg: LocalPostgres, db: str) -> float:
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        conn.execute(INSERT_USERS, {"anonymous": True, "n": PURGED})
        # An anonymous sign-in leaves a session, which the purge's DELETE cascades to.
        conn.execute(
            "insert into sessions (id, user_id, created_at, updated_at)"
            " select gen_random_uuid(), id, now(), now() from users where is_anonymous"
        )
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum analyze auth.users")
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        start = time.perf_counter()
        conn.execute("delete from users where is_anonymous is true and created_at < now() - interval '30 days'")
        conn.commit()
        return time.perf_counter() - start


def log_bytes_per_signup(pg: LocalPostgres, db: str, signups: int = 5000) -> tuple[float, float]:
    # heap and indexes; not the free space and visibility maps, which grow in steps
    size = "select pg_relation_size('public.user_sync_logs') + pg_indexes_size('public.user_sync_logs')"
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum public.user_sync_logs")
        before = conn.execute(size).fetchone()[0]
        pgbench(pg, db, "signup.sql", 1, transactions=signups)
        written = conn.execute(size).fetchone()[0]
        conn.execute("vacuum public.user_sync_logs")
        settled = conn.execute(size).fetchone()[0]
    return (written - before) / signups, (settled - before) / signups


def ab_medians(measure, rounds: int) -> tuple[float, float]:
    """measure(db) on "bare" and "synced" alternately, A/B then B/A, so drift in the machine hits
    both alike; returns the medians (bare, synced)."""
    results = {"bare": [], "synced": []}
    for r in range(rounds):
        for db in ("bare", "synced") if r % 2 == 0 else ("synced", "bare"):
            results[db].append(measure(db))
    return statistics.median(results["bare"]), statistics.median(results["synced"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of each pgbench run")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds per measurement")
    parser.add_argument("--only", choices=("signup", "sign_in", "purge", "log"), help="measure one thing")
    args = parser.parse_args()

    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        prepare(pg, "bare", migrated=False)
        prepare(pg, "synced", migrated=True)
        rows = []
        for script, label in (
            ("signup.sql", "email signup (INSERT + 5 UPDATEs)"),
            ("sign_in.sql", "sign-in (1 UPDATE)"),
        ):
            if args.only not in (None, script[:-4]):
                continue
            for clients in (1, 4):
                bare, synced = ab_medians(
                    lambda db, script=script, clients=clients: pgbench(pg, db, script, clients, seconds=args.seconds),
                    args.rounds,
                )
                rows.append(
                    (
                        f"{label}, {clients} client{'s' if clients > 1 else ''}",
                        f"{bare:.0f} tps",
                        f"{synced:.0f} tps",
                        f"{synced / bare:.2f}x",
                    )
                )
        if args.only in (None, "purge"):
            bare, synced = ab_medians(lambda db: purge_seconds(pg, db), args.rounds)
            rows.append(
                (
                    f"purge of {PURGED:,} anonymous users (one DELETE)",
                    f"{bare * 1000:.0f} ms",
                    f"{synced * 1000:.0f} ms",
                    f"{synced / bare:.2f}x the time",
                )
            )
        print("| workload | bare auth | with nura-users | ratio |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        if args.only in (None, "log"):
            written, settled = log_bytes_per_signup(pg, "synced")
            print(
                f"\nsync log per signup: {written:.0f} bytes as written, {settled:.0f} bytes after VACUUM "
                "(heap and indexes of public.user_sync_logs)"
            )
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
