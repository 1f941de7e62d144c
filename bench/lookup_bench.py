"""Service lookups: nura.get_user and nura.get_user_for_chat against 100,000 users, next to the
floor, a plain `select * from public.users where id = $1`. Durable local cluster, interleaved
rounds. Measured twice: called through the Python client by 16 threads over a pool (what a
service sees: p50/p99 and calls per second), and by pgbench with 16 connections (what the
database spends, without Python in the way).

    .venv/bin/python bench/lookup_bench.py [--seconds 10] [--rounds 2] [--threads 16]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time

import psycopg
from psycopg_pool import ConnectionPool

from glue import migrate as installer
from glue.client import NuraClient
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres, bindir

USERS = 100_000
BATCH = 10_000


def prepare(pg: LocalPostgres) -> list[str]:
    supabase_standin.install(pg.url(), "lookups")
    installer.migrate(pg.url("postgres", "lookups"))
    with psycopg.connect(pg.url("supabase_auth_admin", "lookups")) as conn:
        for start in range(0, USERS, BATCH):
            conn.execute(
                "insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,"
                " created_at, updated_at, is_sso_user, is_anonymous)"
                " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
                " 'authenticated', 'u' || g || '@bench.example', '{}', jsonb_build_object('full_name', 'User ' || g),"
                " now(), now(), false, false from generate_series(%s::integer, %s::integer) g",
                (start + 1, start + BATCH),
            )
            conn.commit()
    with psycopg.connect(pg.url(dbname="lookups"), autocommit=True) as conn:
        conn.execute("create role bench_service login in role nura_service")
        conn.execute("create table public.bench_ids as select row_number() over () as n, id from public.users")
        conn.execute("alter table public.bench_ids add primary key (n)")
        conn.execute("grant select on public.bench_ids to bench_service")
        conn.execute("vacuum analyze")
        return [str(r[0]) for r in conn.execute("select id from public.users")]


def run(call, ids: list[str], threads: int, seconds: float) -> tuple[float, float, float]:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.perf_counter() + seconds

    def worker(mine: list[float]) -> None:
        rng = random.Random()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            call(rng.choice(ids))
            mine.append(time.perf_counter() - start)

    pool = [threading.Thread(target=worker, args=(latencies[i],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    every = sorted(x for mine in latencies for x in mine)
    return (every[len(every) // 2] * 1000, every[int(len(every) * 0.99)] * 1000, len(every) / seconds)


def pgbench_tps(pg: LocalPostgres, query: str, clients: int, seconds: float) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(f"\\set n random(1, {USERS})\n{query}\n")
        script.flush()
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
                "bench_service",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(int(seconds)),
                "-f",
                script.name,
                "lookups",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        ids = prepare(pg)
        url = pg.url("bench_service", "lookups")
        floor_pool = ConnectionPool(
            url,
            min_size=args.threads,
            max_size=args.threads,
            open=True,
            kwargs={"autocommit": True, "prepare_threshold": None},
        )
        nura = NuraClient.connect(url, min_size=args.threads, max_size=args.threads)

        def plain_select(user_id: str) -> None:
            with floor_pool.connection() as conn:
                conn.execute("select * from public.users where id = %s::uuid", (user_id,)).fetchone()

        workloads = {
            "select * from public.users where id = $1 (floor)": plain_select,
            "nura.get_user": nura.get_user,
            "nura.get_user_for_chat": nura.get_user_for_chat,
        }
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in workloads}
        for r in range(args.rounds):
            order = list(workloads) if r % 2 == 0 else list(reversed(workloads))
            for name in order:
                results[name].append(run(workloads[name], ids, args.threads, args.seconds))
        floor_rate = statistics.median(x[2] for x in results[next(iter(workloads))])
        print(
            f"| {args.threads} threads, {USERS:,} users | p50 | p99 | calls/s | rate vs floor |\n|---|---|---|---|---|"
        )
        for name, runs in results.items():
            p50, p99, rate = (statistics.median(x[i] for x in runs) for i in range(3))
            print(f"| {name} | {p50:.2f} ms | {p99:.2f} ms | {rate:.0f} | {rate / floor_rate:.2f}x |")
        nura.close()
        floor_pool.close()

        by_id = "(select id from public.bench_ids where n = :n)"
        queries = {
            "select * from public.users where id = $1 (floor)": f"select * from public.users where id = {by_id};",
            "nura.get_user": f"select nura.get_user({by_id});",
            "nura.get_user_for_chat": f"select nura.get_user_for_chat({by_id});",
        }
        tps: dict[str, list[float]] = {name: [] for name in queries}
        for r in range(args.rounds):
            for name in list(queries) if r % 2 == 0 else list(reversed(queries)):
                tps[name].append(pgbench_tps(pg, queries[name], args.threads, args.seconds))
        floor_tps = statistics.median(tps[next(iter(queries))])
        print(f"\n| pgbench, {args.threads} connections | calls/s | mean latency | rate vs floor |\n|---|---|---|---|")
        for name, runs in tps.items():
            rate = statistics.median(runs)
            print(f"| {name} | {rate:.0f} | {args.threads / rate * 1000:.2f} ms | {rate / floor_tps:.2f}x |")
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
