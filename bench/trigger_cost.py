"""What one of our triggers costs a flow: the same A/B pgbench harness as sync_bench.py, on two
migrated databases, one of them without that trigger.

    .venv/bin/python bench/trigger_cost.py --flow sign_in --trigger auth.users:tg_auth_users__sync_bulk_update
    .venv/bin/python bench/trigger_cost.py --flow signup_autoconfirm --trigger public.users:tg_users__count_insert
"""

from __future__ import annotations

import argparse

import psycopg
from psycopg import sql
from sync_bench import FLOWS, ab_medians, pgbench, prepare

from glue.dev.localpg import LocalPostgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flow", required=True, choices=[script[:-4] for script, _, _ in FLOWS])
    parser.add_argument(
        "--trigger", required=True, metavar="TABLE:TRIGGER", help="e.g. public.users:tg_users__count_insert"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    table, _, trigger = args.trigger.partition(":")
    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        prepare(pg, "bare", migrated=True)  # the side without the trigger
        prepare(pg, "synced", migrated=True)
        with psycopg.connect(pg.url("supabase_admin", "bare"), autocommit=True) as conn:
            schema, name = table.split(".")
            conn.execute(sql.SQL("drop trigger {} on {}.{}").format(*map(sql.Identifier, (trigger, schema, name))))
        without, with_it = ab_medians(
            lambda db: pgbench(pg, db, f"{args.flow}.sql", 1, seconds=args.seconds)[0], args.rounds
        )
        ratio = with_it / without
        print(f"{args.flow}, 1 client: with {trigger} {with_it:.0f} tps, without {without:.0f} tps: {ratio:.3f}x")
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
