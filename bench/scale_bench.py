"""nura-users at scale, against the bare operation in the same run, on one durable local cluster:
a project with N existing auth users installs nura-users (`migrate`: the migrations, the backfill
and the drift repair), and the backfill alone is timed batch by batch against a plain
`insert ... select` of the same rows into a table shaped like public.users, and against its
floor (those rows and a log row each, in one plain statement); then the full drift check against
a plain full join of auth.users and public.users comparing the same columns; then what /metrics
reads each minute (the incremental check and the kept counts) after a minute of sign-ins, against
what it read before (the full check, the whole log and every user counted); then reconcile of
10,000 stale users against repairing them by one UPDATE from a full join. First, on two projects
of 400,000 users moved in by INSERTs (one migrated, one bare), bulk statements and a purge of
10,000 anonymous users, each also as its floor (what any sync must write, as plain SQL with our
triggers off); `--bulk-only` stops after them, `--scale-only` leaves them out.

    .venv/bin/python bench/scale_bench.py [--users 1000000] [--bulk-only | --scale-only]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from sync_bench import ANONYMOUS_USERS, PURGED

from glue import cli
from glue import migrate as installer
from glue.api.metrics import _SNAPSHOT as METRICS_SNAPSHOT
from glue.dev import supabase_standin
from glue.dev.localpg import LocalPostgres

AUTH_USERS = """
insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at,
    updated_at, last_sign_in_at, email_confirmed_at, confirmation_token, recovery_token, email_change_token_new,
    email_change, is_sso_user, is_anonymous)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    'user' || g || '@scale.example', '{"provider": "email", "providers": ["email"]}',
    jsonb_build_object('full_name', 'User ' || g, 'email_verified', true), now() - interval '400 days',
    now() - interval '1 day', now() - interval '1 day', now() - interval '400 days', '', '', '', '', false, false
from generate_series(1, %(n)s) g
"""
MOVED, MOVES = 50_000, 8
PLAIN_CHECK = """
select count(*) from auth.users a full join public.users u on u.id = a.id
where u.id is null or a.id is null
   or (a.deleted_at is null) <> (u.deleted_at is null)
   or u.email is distinct from a.email or u.email_confirmed_at is distinct from a.email_confirmed_at
   or u.last_sign_in_at is distinct from a.last_sign_in_at or u.phone_confirmed_at is distinct from a.phone_confirmed_at
"""
MOVED_BATCH = "(email like '%.0@scale.example' or email like '%.1@scale.example')"  # 100,000 users
# each with what its sync writes of ours: the column and its value from the auth row (None: a deletion)
BULK_STATEMENTS = {
    "one UPDATE of 100,000 auth users' email_confirmed_at": (
        f"update auth.users set email_confirmed_at = now() where {MOVED_BATCH}",
        ("email_confirmed_at", "email_confirmed_at"),
    ),
    "... of their last_sign_in_at": (
        f"update auth.users set last_sign_in_at = now() where {MOVED_BATCH}",
        ("last_sign_in_at", "last_sign_in_at"),
    ),
    "... of their full name (user metadata)": (
        "update auth.users set raw_user_meta_data = raw_user_meta_data"
        f" || jsonb_build_object('full_name', 'Renamed ' || email) where {MOVED_BATCH}",
        ("full_name", "raw_user_meta_data ->> 'full_name'"),
    ),
    "... soft-deleting them": (f"update auth.users set deleted_at = now() where {MOVED_BATCH}", None),
    "one DELETE of 50,000 auth users": ("delete from auth.users where email like '%.7@scale.example'", None),
}
# the Supabase docs' statement, each user with the session an anonymous sign-in leaves
PURGE = "delete from auth.users where is_anonymous is true and created_at < now() - interval '30 days'"
PURGE_ROUNDS = 5
# What any sync must write, as plain SQL with our triggers off: the auth statement itself, one
# UPDATE of the same users' rows of ours and one INSERT of a log row each (a deletion: the rows
# emptied, their service profiles and earlier log rows deleted). What a synced statement costs
# beyond it goes to working out what to write.
_FLOOR_WRITE = """, ours as (
    update public.users u set {column} = a.v, updated_at = now() from a where u.id = a.id returning u.id, a.v)
insert into public.user_sync_logs (user_id, sync_type, source, before_data, after_data, success)
select o.id, 'update', 'supabase_auth', jsonb_build_object('{column}', o.v), jsonb_build_object('{column}', o.v), true
from ours o"""
_FLOOR_DELETE = """, ours as (
    update public.users u set deleted_at = now(), is_active = false, email = null, phone_number = null,
        full_name = null, display_name = null, bio = null, avatar_url = null, privacy_settings = '{}',
        email_confirmed_at = null, phone_confirmed_at = null, last_sign_in_at = null, last_active_at = null,
        xp = 0, current_streak = 0, auth_fields = null, auth_updated_at = null, updated_at = now()
    from a where u.id = a.id returning u.id),
profiles as (delete from public.user_service_profiles p using a where p.user_id = a.id),
erased as (delete from public.user_sync_logs l using a where l.user_id = a.id)
insert into public.user_sync_logs (user_id, sync_type, source, before_data, success)
select o.id, 'delete', 'supabase_auth', '{"cleared": ["email", "full_name"]}', true from ours o"""


def _floor(auth_statement: str, written: tuple[str, str] | None) -> str:
    if written is None:
        return f"with a as ({auth_statement} returning id){_FLOOR_DELETE}"
    column, value = written
    return f"with a as ({auth_statement} returning id, {value} as v){_FLOOR_WRITE.format(column=column)}"


BULK_ROUNDS = 3
CHECK_ROUNDS = 3
SESSIONS = """
insert into auth.sessions (id, user_id, created_at, updated_at)
select gen_random_uuid(), id, created_at, created_at from auth.users where is_anonymous
"""
SIGN_INS = 30_000  # a minute of sign-ins at 500 a second
DRIFTED = 10_000
# users whose row of ours a write behind the sync's back left stale (our triggers off, as a restore)
DRIFT = f"""
update public.users set email = 'behind.' || email
where id in (select id from public.users where deleted_at is null order by md5(id::text) limit {DRIFTED})
"""
# the same users repaired by hand: found by a full join, the field copied
PLAIN_REPAIR = """
update public.users u set email = a.email from auth.users a
where a.id = u.id and u.email is distinct from a.email and u.deleted_at is null
"""
# what /metrics read every minute before it read the incremental check and the kept counts
FULL_SNAPSHOT = """
select (select count(*) from nura.check_consistency()),
       (select count(*) from (select source, success, count(*) from public.user_sync_logs group by 1, 2) l),
       (select count(*) from (select origin, count(*) filter (where deleted_at is null) from public.users group by 1) u)
"""
PLAIN = """
insert into public.bench_plain (id, email, phone_number, full_name, avatar_url, email_confirmed_at,
    phone_confirmed_at, last_sign_in_at, created_at, origin)
select a.id, a.email, a.phone, a.raw_user_meta_data ->> 'full_name', a.raw_user_meta_data ->> 'avatar_url',
    a.email_confirmed_at, a.phone_confirmed_at, a.last_sign_in_at, a.created_at, 'supabase_auth'
from auth.users a
"""
# the backfill's floor: the same rows and a log row each, as plain SQL in one statement
PLAIN_WITH_LOG = f"""
with created as ({PLAIN.strip()}
returning id, email, phone_number, full_name, avatar_url, email_confirmed_at, phone_confirmed_at, last_sign_in_at)
insert into public.bench_log (user_id, sync_type, source, after_data, success)
select c.id, 'create', 'reconcile', jsonb_strip_nulls(jsonb_build_object(
    'email', c.email, 'phone_number', c.phone_number, 'full_name', c.full_name, 'avatar_url', c.avatar_url,
    'email_confirmed_at', c.email_confirmed_at, 'phone_confirmed_at', c.phone_confirmed_at,
    'last_sign_in_at', c.last_sign_in_at)), true
from created c
"""


def _seconds(conn: psycopg.Connection, query: str, params: dict | None = None) -> float:
    start = time.perf_counter()
    conn.execute(query, params)
    return time.perf_counter() - start


def _rolled_back(conn: psycopg.Connection, statement: str, prelude: tuple[str, ...] = ()) -> tuple[float, int]:
    """One statement and the deferred events it queued, timed, then rolled back, and what it left
    vacuumed away (its row versions and index entries, which the next run would read past); the
    seconds and the rows the statement reported."""
    with conn.transaction(force_rollback=True):
        for setting in prelude:
            conn.execute(setting)
        start = time.perf_counter()
        rows = conn.execute(statement).rowcount
        conn.execute("set constraints all immediate")
        took = time.perf_counter() - start
    conn.execute("vacuum")
    return took, rows


# a floor runs with our triggers off (the foreign keys' stay on), and no JIT, as ours run
_FLOOR_SETTINGS = (
    "alter table auth.users disable trigger user",
    "alter table public.users disable trigger user",
    "set local jit = off",
)
# a deletion's floor finds each user's rows by key, as nura.tombstone_users and nura.erase_sync_logs do
_BY_KEY = ("set local enable_hashjoin = off", "set local enable_mergejoin = off")


LOG_COUNTED = (
    "select s.counted_through >= (select coalesce(max(l.id), 0) from public.user_sync_logs l)"
    " and s.checked_through >= s.pending_log_id from nura.check_state s"
)


def _metrics_minute(conn: psycopg.Connection) -> dict[str, float]:
    """What /metrics' read costs the database after a minute of sign-ins, after an idle minute,
    and what its read of every row cost, on the same data."""
    full = _seconds(conn, "select count(*) from nura.check_all()")
    # The log's first count goes in steps (nura.check_changes counts at most 500,000 log ids a
    # run): run until it has caught up, so that the minute below is what a minute costs.
    first_count: list[float] = []
    while not first_count or not conn.execute(LOG_COUNTED).fetchone()[0]:
        first_count.append(_seconds(conn, METRICS_SNAPSHOT))
        assert len(first_count) < 1000, "the log's count never caught up"
    signed_in = conn.execute(  # random users sign in; each is synced as Auth's own sign-in would be
        "update auth.users set last_sign_in_at = now() where id in"
        " (select id from auth.users order by md5(id::text) limit %s)",
        (SIGN_INS,),
    ).rowcount
    conn.execute("vacuum analyze public.user_sync_logs")
    # each minute's log is read twice: once as it comes, once more as the watermark passes it
    now = _seconds(conn, METRICS_SNAPSHOT) + _seconds(conn, METRICS_SNAPSHOT)
    idle = _seconds(conn, METRICS_SNAPSHOT)
    before = _seconds(conn, FULL_SNAPSHOT)
    return {
        "full": full, "now": now, "idle": idle, "before": before, "signed_in": signed_in,
        "first_count_runs": len(first_count), "first_count_longest": max(first_count),
    }  # fmt: skip


def _reconcile(conn: psycopg.Connection) -> dict[str, float]:
    """`nura-users reconcile` of DRIFTED stale users, against repairing them by hand."""
    took = {}
    for way in ("reconcile", "plain"):
        conn.execute("set session_replication_role = replica")
        conn.execute(DRIFT)
        conn.execute("reset session_replication_role")
        start = time.perf_counter()
        repaired = installer.reconcile(conn) if way == "reconcile" else conn.execute(PLAIN_REPAIR).rowcount
        took[way] = time.perf_counter() - start
        assert repaired == DRIFTED, (way, repaired)
    return took


def _bulk_statements(pg: LocalPostgres) -> None:
    """A move from another auth provider into two projects (one migrated, one bare), then bulk
    statements and a purge over the users moved in, bare, synced and as the floor, in turn."""
    # a move from another auth provider: INSERTs of many users each, on one connection, into a
    # freshly migrated project (PL/pgSQL plans its statements anew for the first five calls
    # on a connection, then may keep a generic plan)
    conns = {}
    for db, migrated in (("bare", False), ("empty", True)):
        supabase_standin.install(pg.url(), db)
        if migrated:
            installer.migrate(pg.url("postgres", db))
        conns[db] = psycopg.connect(pg.url("supabase_admin", db), autocommit=True)
    moved = AUTH_USERS.replace("'user' || g ||", "'user' || g || '.' || %(k)s ||")
    ratios = []
    for k in range(MOVES):
        took = {db: _seconds(conn, moved, {"n": MOVED, "k": k}) for db, conn in conns.items()}
        ratios.append(took["empty"] / took["bare"])
    for conn in conns.values():
        conn.execute(ANONYMOUS_USERS.replace("into users", "into auth.users"), {"n": PURGED})
        conn.execute(SESSIONS)
        conn.execute("vacuum analyze auth.users")
    print(
        f"{MOVES} INSERTs of {MOVED:,} auth users each into a freshly migrated project, one connection:"
        f" {min(ratios):.1f}x to {max(ratios):.1f}x the time of the same into a bare one",
        flush=True,
    )
    # bulk statements over the users just moved in, then a purge: each rolled back (the sync's
    # deferred per-row events fired first), vacuumed and run again, bare, synced and as its
    # floor (on the synced project) in turn; the medians
    for label, (statement, written), rounds in [
        *((label, statement, BULK_ROUNDS) for label, statement in BULK_STATEMENTS.items()),
        (f"purge of {PURGED:,} anonymous users (one DELETE)", (PURGE, None), PURGE_ROUNDS),
    ]:
        floor_settings = _FLOOR_SETTINGS + (_BY_KEY if written is None else ())
        runs = [
            ("bare", "bare", statement, ()),
            ("synced", "empty", statement, ()),
            ("floor", "empty", _floor(statement, written), floor_settings),
        ]
        took: dict[str, list[float]] = {name: [] for name, *_ in runs}
        rows: dict[str, int] = {}
        for round_ in range(rounds):
            for name, db, sql, prelude in runs if round_ % 2 == 0 else runs[::-1]:
                seconds, rows[name] = _rolled_back(conns[db], sql, prelude)
                took[name].append(seconds)
        # the floor's last statement logs one row per user the bare statement wrote
        assert rows["floor"] == rows["bare"] > 0, (label, rows)
        bare, synced, floor = (statistics.median(took[name]) for name, *_ in runs)
        print(
            f"{label}, median of {rounds} rolled back: {synced:.2f} s, {synced / bare:.1f}x the bare statement"
            f" ({bare:.2f} s); its floor (the same writes as plain SQL) {floor:.2f} s, {floor / bare:.1f}x",
            flush=True,
        )
    for conn in conns.values():
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--bulk-only", action="store_true", help="only the bulk statements over 400,000 users")
    part.add_argument("--scale-only", action="store_true", help="all but the bulk statements over 400,000 users")
    args = parser.parse_args()
    pg = LocalPostgres.throwaway()
    pg.start()
    try:
        if not args.scale_only:
            _bulk_statements(pg)
        if args.bulk_only:
            return
        supabase_standin.install(pg.url(), "scale")
        with psycopg.connect(pg.url("supabase_admin", "scale"), autocommit=True) as conn:
            conn.execute(AUTH_USERS, {"n": args.users})
            conn.execute("vacuum analyze auth.users")
        start = time.perf_counter()
        report = installer.migrate(pg.url("postgres", "scale"))
        migrate_s = time.perf_counter() - start
        print(f"migrate of a project with {args.users:,} auth users: {migrate_s:.1f} s ({report.repaired:,} users)")

        with psycopg.connect(pg.url(dbname="scale"), autocommit=True) as conn:
            conn.execute("truncate public.users, public.user_sync_logs cascade")
            conn.execute("create table public.bench_plain (like public.users including all)")
            conn.execute("vacuum analyze")
            start = time.perf_counter()
            conn.execute(PLAIN)
            plain_s = time.perf_counter() - start
            conn.execute("drop table public.bench_plain")
            conn.execute("create table public.bench_plain (like public.users including all)")
            conn.execute("create table public.bench_log (like public.user_sync_logs including all)")
            conn.execute("vacuum analyze")
            floor_s = _seconds(conn, PLAIN_WITH_LOG)
            conn.execute("drop table public.bench_plain, public.bench_log")
            conn.execute("vacuum analyze")
            page, longest, created, batches = None, 0.0, 0, 0
            start = time.perf_counter()
            while True:
                began = time.perf_counter()
                page, done = conn.execute(
                    "select next_page, created from nura.backfill_users(%s, null)", (page,)
                ).fetchone()
                longest = max(longest, time.perf_counter() - began)
                created, batches = created + done, batches + 1
                if page is None:
                    break
            backfill_s = time.perf_counter() - start
            conn.execute("vacuum analyze")
            # in turn, three times each, medians: the first read after the vacuum pays for what this
            # machine's page cache lost, whichever statement it is
            checks: dict[str, list[float]] = {"nura": [], "plain": []}
            for _ in range(CHECK_ROUNDS):
                checks["nura"].append(_seconds(conn, "select count(*) from nura.check_consistency()"))
                checks["plain"].append(_seconds(conn, PLAIN_CHECK))
            check_s, plain_check_s = statistics.median(checks["nura"]), statistics.median(checks["plain"])
            # the older half of the log 40 days old: prune it as the command does, against one plain DELETE of
            # the same rows (on a copy, made alike)
            conn.execute(
                "update public.user_sync_logs set created_at = now() - interval '40 days'"
                " where id <= (select (min(id) + max(id)) / 2 from public.user_sync_logs)"
            )
            conn.execute("create table public.bench_log as select * from public.user_sync_logs")
            conn.execute("create index on public.bench_log using brin (created_at)")
            conn.execute("vacuum analyze")
            plain_prune_s = _seconds(conn, "delete from public.bench_log where created_at < now() - interval '30 days'"
                                     " returning 1")  # fmt: skip
            before = conn.execute("select now() - interval '30 days'").fetchone()[0]
            start, last, pruned = time.perf_counter(), 0, 0
            while last is not None:
                last, rows = conn.execute(
                    "select * from nura.prune_sync_logs(%s, %s, %s)", (before, last, cli.PRUNE_BATCH)
                ).fetchone()
                pruned += rows
            prune_s = time.perf_counter() - start
            metrics = _metrics_minute(conn)
            repair = _reconcile(conn)
        print(
            f"prune of {pruned:,} of {created:,} log rows: {prune_s:.1f} s in batches of {cli.PRUNE_BATCH:,}; one plain"
            f" DELETE of them {plain_prune_s:.1f} s ({prune_s / plain_prune_s:.1f}x)"
        )
        print(
            f"full drift check at {args.users:,} users: {check_s:.1f} s; a plain full join comparing the same columns"
            f" {plain_check_s:.1f} s ({check_s / plain_check_s:.1f}x)"
        )
        print(
            f"what /metrics reads of a minute of {metrics['signed_in']:,} sign-ins at {args.users:,} users (its two"
            f" reads of them): {metrics['now'] * 1000:.0f} ms ({metrics['now'] / 60 * 100:.2f}% of a core);"
            f" the full check and whole counts it read before {metrics['before']:.1f} s"
            f" ({metrics['before'] / 60 * 100:.1f}%); an idle minute {metrics['idle'] * 1000:.0f} ms;"
            f" the full check recorded (nura.check_all) {metrics['full']:.1f} s; before that minute, the log's first"
            f" count took {metrics['first_count_runs']} runs, the longest {metrics['first_count_longest']:.1f} s"
        )
        print(
            f"reconcile of {DRIFTED:,} stale users at {args.users:,}: {repair['reconcile']:.1f} s; repairing them"
            f" by hand (one UPDATE from a full join) {repair['plain']:.1f} s"
            f" ({repair['reconcile'] / repair['plain']:.1f}x)"
        )
        print(
            f"backfill of {created:,} users: {backfill_s:.1f} s in {batches:,} batches of about 5,000, the"
            f" longest transaction {longest * 1000:.0f} ms; a plain insert-select of the same rows {plain_s:.1f} s"
            f" ({backfill_s / plain_s:.1f}x); its floor, the same rows and a log row each in one plain statement,"
            f" {floor_s:.1f} s ({floor_s / plain_s:.1f}x)"
        )
    finally:
        pg.discard()


if __name__ == "__main__":
    main()
