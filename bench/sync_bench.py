"""What the sync costs Supabase Auth: pgbench replays of Auth's real transactions (the other auth
tables' writes included, every value bound, `-M prepared` as Auth's driver prepares) as
`supabase_auth_admin`, against a bare Supabase-shaped auth schema and a migrated one, on one
durable local cluster (fsync and synchronous_commit on, as on Supabase), A/B interleaved so drift
in the machine hits both sides alike.

    .venv/bin/python bench/sync_bench.py [--seconds 15] [--rounds 3] [--only FLOW ...] [--seed-users N]

Prints a Markdown table of transactions per second (median of the rounds) for each flow at 1 and
4 clients, the time of the sync's functions per flow (track_functions, 1 client, a run of its
own), the time of a purge of 10,000 anonymous users, and the bytes of sync log per signup and
per sign-in.
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
SCRIPTS = HERE / "pgbench"
SEED_USERS = 10_000
PURGED = 10_000
# script, what it replays, the target (synced tps / bare tps)
FLOWS = (
    ("signup_autoconfirm.sql", "email signup with autoconfirm, both transactions", 0.90),
    ("sign_in.sql", "password sign-in", 0.90),
    ("oauth_login.sql", "returning OAuth login, claims unchanged", 0.90),
    ("refresh.sql", "refresh-token grant, legacy tokens", 0.97),
    ("stress.sql", "stress: INSERT + 5 UPDATEs of auth.users alone", 0.80),
)

# Existing users as a Google signup leaves them (claims in the metadata, an identity), each with
# the session and refresh token of their last sign-in.
SEED = """
insert into users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
    created_at, updated_at, last_sign_in_at, email_confirmed_at, confirmation_token, recovery_token,
    email_change_token_new, email_change, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    'seed' || g || '@bench.example', '', '{"provider": "google", "providers": ["google"]}',
    jsonb_build_object('iss', 'https://accounts.google.com', 'sub', '1' || lpad(g::text, 20, '0'),
        'name', 'Seed User ' || g, 'email', 'seed' || g || '@bench.example',
        'picture', 'https://lh3.googleusercontent.com/a/seed' || g, 'full_name', 'Seed User ' || g,
        'avatar_url', 'https://lh3.googleusercontent.com/a/seed' || g, 'provider_id', '1' || lpad(g::text, 20, '0'),
        'email_verified', true, 'phone_verified', false),
    now() - interval '40 days', now() - interval '1 day', now() - interval '1 day', now() - interval '40 days',
    '', '', '', '', false, false
from generate_series(1, %(n)s) g;
insert into identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select raw_user_meta_data ->> 'sub', id, raw_user_meta_data, 'google', last_sign_in_at, created_at, updated_at
from users;
insert into sessions (id, user_id, created_at, updated_at, aal)
select gen_random_uuid(), id, last_sign_in_at, last_sign_in_at, 'aal1' from users;
insert into refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
select '00000000-0000-0000-0000-000000000000', md5(random()::text), user_id::text, false, created_at, created_at, id
from sessions;
"""
ANONYMOUS_USERS = """
insert into users (instance_id, id, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
    last_sign_in_at, confirmation_token, recovery_token, email_change_token_new, email_change, is_sso_user,
    is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', '{}', '{}',
    now() - interval '40 days', now() - interval '40 days', now() - interval '40 days', '', '', '', '', false, true
from generate_series(1, %(n)s) g
"""


def pgbench(
    pg: LocalPostgres, db: str, script: str, clients: int, *, seconds: int = 0, transactions: int = 0
) -> tuple[float, int]:
    """Runs one script; returns (transactions per second, transactions run)."""
    limit = ["-T", str(seconds)] if seconds else ["-t", str(transactions)]
    done = subprocess.run(
        [
            str(bindir() / "pgbench"), "-n", "-M", "prepared", "-h", pg.host, "-p", str(pg.port),
            "-U", "supabase_auth_admin", "-c", str(clients), "-j", str(clients), *limit,
            "-D", f"seed_users={SEED_USERS}", "-f", str(SCRIPTS / script), db,
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr or done.stdout)
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    return tps, int(re.search(r"number of transactions actually processed: (\d+)", done.stdout).group(1))


def prepare(pg: LocalPostgres, db: str, migrated: bool) -> None:
    supabase_standin.install(pg.url(), db)
    if migrated:
        installer.migrate(pg.url("postgres", db))
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        for statement in SEED.split(";")[:-1]:
            conn.execute(statement, {"n": SEED_USERS})
    with psycopg.connect(pg.url(dbname=db)) as conn:
        conn.execute(
            "create table public.bench_users as"
            " select row_number() over () as n, u.id, s.id as session_id from auth.users u join auth.sessions s"
            " on s.user_id = u.id"
        )
        conn.execute("alter table public.bench_users add primary key (n)")
        conn.execute("grant select on public.bench_users to supabase_auth_admin")
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum analyze")


def function_times(pg: LocalPostgres, script: str, seconds: int) -> tuple[float, list[tuple[str, float, float]]]:
    """One run of a script at 1 client on the synced side with track_functions on: the sync's
    trigger functions' time per transaction (ms), and each function's (name, calls per
    transaction, self time per transaction in ms), the costliest first."""
    with psycopg.connect(pg.url(dbname="synced"), autocommit=True) as conn:
        conn.execute("alter database synced set track_functions = 'pl'")
        conn.execute("select pg_stat_reset()")
        try:
            _, transactions = pgbench(pg, "synced", script, 1, seconds=seconds)
            time.sleep(1)  # the backend flushes its counters as it exits
            rows = conn.execute(
                "select funcname, calls, total_time, self_time from pg_stat_user_functions"
                " where schemaname = 'nura' order by self_time desc"
            ).fetchall()
        finally:
            conn.execute("alter database synced reset track_functions")
    triggers = sum(total for name, _, total, _ in rows if name.startswith("tg_"))
    return triggers / transactions, [(name, calls / transactions, own / transactions) for name, calls, _, own in rows]


def purge_seconds(pg: LocalPostgres, db: str) -> float:
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        conn.execute(ANONYMOUS_USERS, {"n": PURGED})
        # An anonymous sign-in leaves a session, which the purge's DELETE cascades to.
        conn.execute(
            "insert into sessions (id, user_id, created_at, updated_at)"
            " select gen_random_uuid(), id, created_at, created_at from users where is_anonymous"
        )
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum analyze auth.users")
    with psycopg.connect(pg.url("supabase_auth_admin", db)) as conn:
        start = time.perf_counter()
        conn.execute("delete from users where is_anonymous is true and created_at < now() - interval '30 days'")
        conn.commit()
        return time.perf_counter() - start


def log_bytes_per(pg: LocalPostgres, db: str, script: str, transactions: int = 5000) -> tuple[float, float]:
    """The sync log one transaction of a script adds: as written, and once VACUUM has run."""
    # heap and indexes; not the free space and visibility maps, which grow in steps
    size = "select pg_relation_size('public.user_sync_logs') + pg_indexes_size('public.user_sync_logs')"
    with psycopg.connect(pg.url(dbname=db), autocommit=True) as conn:
        conn.execute("vacuum public.user_sync_logs")
        before = conn.execute(size).fetchone()[0]
        pgbench(pg, db, script, 1, transactions=transactions)
        written = conn.execute(size).fetchone()[0]
        conn.execute("vacuum public.user_sync_logs")
        settled = conn.execute(size).fetchone()[0]
    return (written - before) / transactions, (settled - before) / transactions


def ab_medians(measure, rounds: int) -> tuple[float, float]:
    """measure(db) on "bare" and "synced" alternately, A/B then B/A, so drift in the machine hits
    both alike; returns the medians (bare, synced)."""
    results = {"bare": [], "synced": []}
    for r in range(rounds):
        for db in ("bare", "synced") if r % 2 == 0 else ("synced", "bare"):
            results[db].append(measure(db))
    return statistics.median(results["bare"]), statistics.median(results["synced"])


def main() -> None:
    global SEED_USERS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of each pgbench run")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds per measurement")
    parser.add_argument(
        "--only", choices=[script[:-4] for script, _, _ in FLOWS] + ["functions", "purge", "log"],
        action="append", help="measure this only (may be given more than once)",
    )  # fmt: skip
    parser.add_argument("--seed-users", type=int, default=SEED_USERS, help="existing users in each database")
    args = parser.parse_args()
    SEED_USERS = args.seed_users

    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        prepare(pg, "bare", migrated=False)
        prepare(pg, "synced", migrated=True)
        print(
            "| flow | clients | bare auth | with nura-users | ratio | target |\n|---|---|---|---|---|---|", flush=True
        )
        for script, label, target in FLOWS:
            if args.only and script[:-4] not in args.only:
                continue
            for clients in (1, 4):
                bare, synced = ab_medians(
                    lambda db, script=script, clients=clients: pgbench(pg, db, script, clients, seconds=args.seconds)[
                        0
                    ],
                    args.rounds,
                )
                print(
                    f"| {label} | {clients} | {bare:.0f} tps | {synced:.0f} tps | {synced / bare:.2f}x"
                    f" | >= {target:.2f}x |",
                    flush=True,
                )
        if not args.only or "functions" in args.only:
            print(
                "\n| flow | the sync's triggers, ms per transaction"
                " | costliest functions (calls, self ms) per transaction |"
            )
            print("|---|---|---|")
            for script, label, _ in FLOWS:
                triggers, functions = function_times(pg, script, args.seconds)
                top = ", ".join(f"{name} ({calls:.0f}, {own:.3f})" for name, calls, own in functions[:3])
                print(f"| {label} | {triggers:.3f} | {top} |", flush=True)
        if not args.only or "purge" in args.only:
            bare, synced = ab_medians(lambda db: purge_seconds(pg, db), args.rounds)
            print(
                f"\npurge of {PURGED:,} anonymous users (one DELETE): {bare * 1000:.0f} ms bare, "
                f"{synced * 1000:.0f} ms with nura-users ({synced / bare:.2f}x the time)"
            )
        if not args.only or "log" in args.only:
            for script, what in (("signup_autoconfirm.sql", "autoconfirmed signup"), ("sign_in.sql", "sign-in")):
                written, settled = log_bytes_per(pg, "synced", script)
                print(
                    f"\nsync log per {what}: {written:.0f} bytes as written, {settled:.0f} bytes after VACUUM"
                    f" (heap and indexes of public.user_sync_logs; {settled:.0f} MB per million)"
                )
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
