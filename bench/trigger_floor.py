"""The floor under the sync's cost on a sign-in: the same A/B pgbench harness as sync_bench.py,
with the sync trigger function on the migrated side replaced by cut-down variants, to show what
the trigger machinery alone costs before the sync writes anything.

    .venv/bin/python bench/trigger_floor.py [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse

import psycopg
from sync_bench import ab_medians, pgbench, prepare

from glue.dev.localpg import LocalPostgres
from glue.resources import sql_dir

FUNCTION = sql_dir("plpgsql") / "sync" / "nura.tg_auth_users__sync.sql"
HEADER = (
    "create or replace function nura.tg_auth_users__sync() returns trigger language plpgsql"
    " security definer set search_path = '' as $$ begin {} return null; end $$"
)
VARIANTS = {
    "the deferred trigger, doing nothing": HEADER.format(""),
    "... and updating public.users only (no log row, no error isolation)": HEADER.format(
        "update public.users set last_sign_in_at = new.last_sign_in_at, updated_at = now() where id = new.id;"
    ),
    "... and writing one log row too": HEADER.format(
        "update public.users set last_sign_in_at = new.last_sign_in_at, updated_at = now() where id = new.id;"
        " insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)"
        " values (new.id, 'update', 'supabase_auth', jsonb_build_object('last_sign_in_at', old.last_sign_in_at),"
        " jsonb_build_object('last_sign_in_at', new.last_sign_in_at), true);"
    ),
    "the real sync": FUNCTION.read_text(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        prepare(pg, "bare", migrated=False)
        prepare(pg, "synced", migrated=True)
        print("| sign-in, 1 client, trigger function | ratio to bare |\n|---|---|")
        for label, definition in VARIANTS.items():
            with psycopg.connect(pg.url("postgres", "synced")) as conn:
                conn.execute(definition)
            bare, synced = ab_medians(
                lambda db: pgbench(pg, db, "sign_in.sql", 1, seconds=args.seconds)[0], args.rounds
            )
            print(f"| {label} | {synced / bare:.2f}x |", flush=True)
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
