"""The legacy import at scale: 1,000,000 legacy people (600k chat rows, 500k voice rows of which
40% are also chat people, 300k custom rows, 30% of the people with a Supabase account), imported
by `nura-users legacy import` and checked by `legacy verify`, on a durable local cluster; the
command's own peak memory. Then the approach of the Python sync it replaces, a loop with one lookup and one insert
per row, on 20,000 rows, for the rows-per-second ratio.

    .venv/bin/python bench/legacy_bench.py [--people 1000000] [--seed-rows 20000] [--other-accounts 0]

--other-accounts adds that many Supabase accounts that no legacy row names, for a project whose
auth.users is far larger than its legacy tables (each batch should read it by key, not whole).

And the import's floor: the rows it wrote, written again as plain SQL, one insert-select per
table into a copy shaped alike (its indexes, none of its foreign keys), one after another (the
accounts' rows it updated left out).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import psycopg

from glue import migrate as installer
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres

# what the import writes that stays, by table
WRITTEN = {
    "public.users": "origin = 'legacy_migration'",
    "public.user_service_profiles": "true",
    "public.user_sync_logs": "source = 'legacy_migration'",
    "nura.legacy_user_map": "true",
    "nura.legacy_conflicts": "true",
}
GENERATE = """
-- N people: chat rows for 60%, voice rows for 50% (40% of them chat people too), which makes 90%
-- with an email; custom rows for 30% (two thirds of them chat people, the rest people of their own,
-- known to no other table); 30% of all people have a Supabase account with their email
create table public.chat_users (id uuid primary key, email text, full_name text, phone_number text,
    password_hash text, privacy_settings jsonb, notification_prefs jsonb, is_active boolean, created_at timestamptz);
create table public.voice_users (id uuid primary key, name text, email text, phone text, password_hash text,
    created_at timestamptz, preferred_voice text);
create table public.custom_users (user_id uuid, full_name text, current_streak integer, xp integer);
insert into public.chat_users
select md5('chat' || g)::uuid,
       case when g % 7 = 0 then upper(' p' || g || '@legacy.example ') else 'p' || g || '@legacy.example' end,
       'Person ' || g, case when g % 3 = 0 then '+49 151 ' || g else '0151 ' || g end, '$2b$12$hash',
       jsonb_build_object('show_email', g % 2 = 0), jsonb_build_object('email', true), g % 10 <> 0,
       timestamptz '2023-01-01' + g * interval '1 second'
from generate_series(1, {chat}) g;
insert into public.voice_users
select md5('voice' || g)::uuid, 'P ' || g, 'p' || g || '@legacy.example', '+49151' || lpad(g::text, 7, '0'),
       '$2b$12$hash', timestamptz '2023-01-01' + g * interval '1 second', 'alloy'
from generate_series({voice_from}, {voice_to}) g;
insert into public.custom_users
select md5('chat' || g)::uuid, 'Custom ' || g, g % 30, g % 5000 from generate_series(1, {custom} * 2 / 3) g
union all
select md5('custom' || g)::uuid, 'Custom only ' || g, g % 30, g % 5000 from generate_series(1, {custom} / 3) g;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed-rows", type=int, default=20_000)
    parser.add_argument("--other-accounts", type=int, default=0)
    args = parser.parse_args()
    n = args.people
    chat, voice = int(n * 0.6), int(n * 0.5)
    voice_from = chat - int(voice * 0.4) + 1  # 40% of voice people are chat people too
    pg = LocalPostgres.throwaway(
        settings=("max_wal_size=4GB", "shared_buffers=1GB", "maintenance_work_mem=256MB", "work_mem=64MB")
    )
    pg.start()
    try:
        supabase_standin.install(pg.url(), "legacy")
        url = pg.url("postgres", "legacy")
        # the accounts, bulk-loaded before nura-users is installed, which backfills them
        accounts = (
            "insert into users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,"
            " email_confirmed_at, created_at, updated_at, is_sso_user, is_anonymous)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',"
            " {address}, '{{}}', '{{}}', now(), now(), now(), false, false from generate_series({series}) g"
        )
        with psycopg.connect(pg.url("supabase_auth_admin", "legacy")) as conn:
            # every third of the 90% with an email
            conn.execute(accounts.format(address="'p' || g || '@legacy.example'", series="1, %s, 3"), (n * 9 // 10,))
            if args.other_accounts:
                conn.execute(
                    accounts.format(address="'other' || g || '@example.com'", series="1, %s"), (args.other_accounts,)
                )
        installer.migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                GENERATE.format(chat=chat, voice_from=voice_from, voice_to=voice_from + voice - 1, custom=int(n * 0.3))
            )
            conn.execute("vacuum analyze")
            rows = conn.execute(
                "select (select count(*) from public.chat_users) + (select count(*) from"
                " public.voice_users) + (select count(*) from public.custom_users)"
            ).fetchone()[0]
        env = {**os.environ, "MIGRATE_DATABASE_URL": url, "DATABASE_URL": url}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "glue.cli", "legacy", "import", "--batch-size", "50000"],
            env=env,
            capture_output=True,
            text=True,
        )
        imported = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(done.stdout.splitlines()[-1] if done.stdout else done.stderr)
        started = time.perf_counter()
        verified = subprocess.run(
            [sys.executable, "-m", "glue.cli", "legacy", "verify"], env=env, capture_output=True, text=True
        )
        checked = time.perf_counter() - started
        print(
            f"{rows:,} legacy rows: import {imported:.1f} s, verify {checked:.1f} s "
            f"({verified.stdout.strip().splitlines()[-1]}), total {imported + checked:.1f} s; "
            f"the command's peak memory {peak_kb / 1024:.0f} MB"
        )

        floor, written = 0.0, 0
        with psycopg.connect(url, autocommit=True) as conn:
            for table, rows_of_ours in WRITTEN.items():
                conn.execute(f"create table public.floor_copy (like {table} including all)")
                conn.execute("vacuum analyze public.floor_copy")
                started = time.perf_counter()
                written += conn.execute(
                    f"insert into public.floor_copy overriding system value select * from {table} where {rows_of_ours}"
                ).rowcount
                floor += time.perf_counter() - started
                conn.execute("drop table public.floor_copy")
        print(f"its floor: the {written:,} rows it wrote, as plain insert-selects one after another, {floor:.1f} s")

        # the replaced Python sync's way: one lookup and one insert per row
        with psycopg.connect(url) as conn:
            conn.execute(
                "create table public.seed_users (id uuid primary key, email text, full_name text,"
                " phone_number text, is_active boolean, privacy_settings jsonb, created_at timestamptz)"
            )
            conn.commit()
            source = conn.execute(
                "select id, email, full_name, phone_number, is_active, privacy_settings, created_at"
                " from public.chat_users limit %s",
                (args.seed_rows,),
            ).fetchall()
            started = time.perf_counter()
            for row in source:
                if conn.execute("select 1 from public.seed_users where email = %s", (row[1],)).fetchone() is None:
                    conn.execute(
                        "insert into public.seed_users values (%s, %s, %s, %s, %s, %s, %s)",
                        (*row[:5], psycopg.types.json.Jsonb(row[5]), row[6]),
                    )
            conn.commit()
            seed_rate = len(source) / (time.perf_counter() - started)
        ours = rows / imported
        print(
            f"the replaced row-by-row loop: {seed_rate:,.0f} rows/s on {len(source):,} rows; "
            f"the import: {ours:,.0f} rows/s ({ours / seed_rate:.1f}x)"
        )
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
