"""The HTTP API under load: GET /api/users/me and PUT /api/users/profile through `nura-users serve`
driven by wrk (16 connections on loopback), beside the floor: the same SQL calls (role, claims and
the function in one transaction, as the API runs them) made straight over a psycopg pool by 16
threads. Durable local cluster, 10,000 users, each request for a random one; rounds interleaved.
Also reports the CPU seconds the server, PostgreSQL and wrk used, to show what limits it.

    apt-get install wrk   # once
    .venv/bin/python bench/http_bench.py [--seconds 30] [--rounds 1] [--connections 16] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from lookup_bench import run  # the 16-thread floor loop: p50, p99, calls/s
from psycopg_pool import ConnectionPool

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres, free_port

USERS = 10_000
SECRET = "bench-jwt-secret-long-enough-for-hs256-tokens"
CLK_TCK = os.sysconf("SC_CLK_TCK")

WRK_SCRIPT = """
local tokens = {}
for line in io.lines(os.getenv("NURA_BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local method, path = os.getenv("NURA_BENCH_METHOD"), os.getenv("NURA_BENCH_PATH")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local headers = {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}
  local body = nil
  if method == "PUT" then
    headers["Content-Type"] = "application/json"
    body = '{"bio": "bio ' .. math.random(1000000000) .. '"}'
  end
  return wrk.format(method, path, headers, body)
end
"""

PREAMBLE = (
    "select set_config('statement_timeout', '15s', true), set_config('role', 'authenticated', true),"
    " set_config('request.jwt.claims', %s, true), set_config('request.headers', '{}', true); "
)
FLOOR_SQL = {
    "GET /api/users/me": "select nura.me()",
    "PUT /api/users/profile": "select nura.update_my_profile(p_changes => %s::jsonb)",
}


def prepare(pg: LocalPostgres) -> list[str]:
    supabase_standin.install(pg.url(), "api")
    installer.migrate(pg.url("postgres", "api"))
    with psycopg.connect(pg.url("supabase_auth_admin", "api")) as conn:
        conn.execute(
            "insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,"
            " created_at, updated_at, is_sso_user, is_anonymous)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',"
            " 'u' || g || '@bench.example', '{}', jsonb_build_object('full_name', 'User ' || g), now(), now(),"
            " false, false from generate_series(1, %s) g",
            (USERS,),
        )
    with psycopg.connect(pg.url(dbname="api"), autocommit=True) as conn:
        conn.execute("vacuum analyze")
        return [str(r[0]) for r in conn.execute("select id from public.users")]


def cpu_seconds(match) -> float:
    """User+system CPU of the live processes whose command line `match` accepts."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match(cmdline):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def wrk(url: str, method: str, path: str, tokens: Path, connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        done = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NURA_BENCH_TOKENS": str(tokens), "NURA_BENCH_METHOD": method, "NURA_BENCH_PATH": path},
        )
    out = done.stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": ms("50%"),
        "p99": ms("99%"),
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "glue.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "SUPABASE_JWT_SECRET": SECRET,
            "WEB_CONCURRENCY": str(workers),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="the server's worker processes (WEB_CONCURRENCY)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    pg = LocalPostgres.throwaway()
    pg.start()
    workdir = Path(tempfile.mkdtemp(prefix="nura-http-bench-"))
    server = None
    try:
        ids = prepare(pg)
        database_url = pg.url("postgres", "api")
        tokens = workdir / "tokens"
        tokens.write_text(
            "\n".join(supabase_standin.access_token(SECRET, i, lifetime_seconds=24 * 3600) for i in ids) + "\n"
        )
        port = free_port()
        server = start_server(database_url, port, args.workers)
        floor_pool = ConnectionPool(
            database_url,
            min_size=args.connections,
            max_size=args.connections,
            open=True,
            kwargs={"autocommit": True, "prepare_threshold": None, "cursor_factory": psycopg.ClientCursor},
        )

        def floor_call(query: str):
            def call(user_id: str) -> None:
                claims = json.dumps({"sub": user_id, "aud": "authenticated", "role": "authenticated"})
                params = (
                    (claims,) if "%s::jsonb" not in query else (claims, json.dumps({"bio": f"bio {random.random()}"}))
                )
                with floor_pool.connection() as conn:
                    cur = conn.execute(PREAMBLE + query, params)
                    cur.nextset()
                    cur.fetchone()

            return call

        results: dict[str, dict[str, list]] = {name: {"http": [], "floor": []} for name in FLOOR_SQL}
        cpu: dict[str, list[dict]] = {name: [] for name in FLOOR_SQL}
        for r in range(args.rounds):
            for name, sql in FLOOR_SQL.items():
                method, path = name.split()
                samples = {
                    "server": lambda c: "glue.cli serve" in c,  # granian forks its workers
                    "postgres": lambda c: c.startswith("postgres:"),
                }
                order = ("http", "floor") if r % 2 == 0 else ("floor", "http")
                for kind in order:
                    if kind == "http":
                        before = {k: cpu_seconds(m) for k, m in samples.items()}
                        children = resource.getrusage(resource.RUSAGE_CHILDREN)
                        results[name]["http"].append(
                            wrk(f"http://127.0.0.1:{port}{path}", method, path, tokens, args.connections, args.seconds)
                        )
                        after = resource.getrusage(resource.RUSAGE_CHILDREN)
                        cpu[name].append(
                            {
                                **{k: cpu_seconds(m) - before[k] for k, m in samples.items()},
                                "wrk": after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime,
                            }
                        )
                    else:
                        p50, p99, rate = run(floor_call(sql), ids, args.connections, args.seconds)
                        results[name]["floor"].append({"p50": p50, "p99": p99, "rate": rate, "errors": 0})
        floor_pool.close()

        print(
            f"| {args.connections} clients, {args.seconds:.0f} s, {USERS:,} users | p50 | p99 | requests/s "
            f"| errors | vs floor |\n|---|---|---|---|---|---|"
        )
        for name, by_kind in results.items():
            floor_rate = statistics.median(x["rate"] for x in by_kind["floor"])
            for kind, label in (
                ("http", f"{name} via nura-users serve"),
                ("floor", f"{name}: SQL over a pool (floor)"),
            ):
                runs = by_kind[kind]
                p50, p99, rate = (statistics.median(x[k] for x in runs) for k in ("p50", "p99", "rate"))
                errors = sum(x["errors"] for x in runs)
                print(f"| {label} | {p50:.2f} ms | {p99:.2f} ms | {rate:.0f} | {errors} | {rate / floor_rate:.2f}x |")
        print("\nCPU seconds during the HTTP runs (2 cores):")
        for name, runs in cpu.items():
            total = {k: sum(run_[k] for run_ in runs) for k in runs[0]}
            seconds = args.seconds * len(runs)
            print(f"  {name}: " + ", ".join(f"{k} {v:.1f} s ({v / seconds:.0%} of a core)" for k, v in total.items()))
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
        pg.discard()


if __name__ == "__main__":
    main()
