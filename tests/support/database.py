"""A test's database: a clone of one of the session's template databases, and what tests read
of it (users, their log, the drift report, the auth row as a webhook delivers it)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from glue.dev import supabase_standin
from glue.dev.localpg import SUPERUSER, LocalPostgres

# track_functions lets tests see which path (set-based or row by row) the sync took.
FAST_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "track_functions=pl",
)


@dataclass
class Database:
    cluster: LocalPostgres
    name: str

    def url(self, role: str = "postgres") -> str:
        return self.cluster.url(role, self.name)

    @property
    def superuser_url(self) -> str:
        return self.cluster.url(SUPERUSER, self.name)

    def connect(self, role: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url(role), autocommit=True, **kwargs)

    @property
    def auth(self) -> supabase_standin.AuthServer:
        return supabase_standin.AuthServer(self.url("supabase_auth_admin"))

    def one(self, query: str, params=None):
        with self.connect() as conn:
            return conn.execute(query, params).fetchone()

    def all(self, query: str, params=None) -> list:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def user(self, user_id: str) -> dict | None:
        with self.connect() as conn:
            conn.row_factory = psycopg.rows.dict_row
            return conn.execute("select * from public.users where id = %s", (user_id,)).fetchone()

    def logs(self, user_id: str) -> list[dict]:
        with self.connect() as conn:
            conn.row_factory = psycopg.rows.dict_row
            return conn.execute(
                "select * from public.user_sync_logs where user_id = %s order by id", (user_id,)
            ).fetchall()

    def auth_row(self, user_id: str) -> dict:
        """The user's auth.users row as a Database Webhook would deliver it."""
        with self.connect() as conn:
            return conn.execute("select to_jsonb(a) from auth.users a where id = %s", (user_id,)).fetchone()[0]

    def become_split_backend(self) -> None:
        """Plays the backend of a split deployment: its users arrive by webhook only."""
        with self.connect() as conn:
            conn.execute("delete from public.user_sync_logs")
            conn.execute("delete from public.users")

    def drift(self) -> list[tuple]:
        return self.all("select user_id, problem, detail from nura.check_consistency() order by 2, 1")


def row_by_row_syncs(conn: psycopg.Connection) -> int:
    """How often this transaction synced one row at a time (its deferred events fired first)."""
    conn.execute("set constraints all immediate")
    return conn.execute(
        "select coalesce(sum(calls), 0) from pg_stat_xact_user_functions"
        " where schemaname = 'nura' and funcname = 'sync_auth_user'"
    ).fetchone()[0]


def reject_in_users(db: Database, condition: sql.Composable | str) -> None:
    """A constraint nobody planned for: writes of public.users rows the condition names now fail,
    and so does the sync of their users."""
    condition = sql.SQL(condition) if isinstance(condition, str) else condition
    with db.connect() as conn:
        conn.execute(
            sql.SQL("alter table public.users add constraint injected_fault check (not ({}))").format(condition)
        )


def stop_rejecting(db: Database) -> None:
    with db.connect() as conn:
        conn.execute("alter table public.users drop constraint injected_fault")
