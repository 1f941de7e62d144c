"""What Supabase Auth writes, as a trigger sees it: a recorder of every statement on `auth.users`
and the other auth tables, grouped by transaction, and the checks every one of Auth's writes
passes (the statement shapes, one clock reading per statement).

Auth's rules, which the stand-in and the benchmarks must follow:
- an INSERT names every column of auth.users but `confirmed_at` (generated) and `is_super_admin`,
  quoted, in alphabetical order;
- an UPDATE is `UPDATE "users" AS users SET <columns> WHERE users.id = $n`, the columns in
  alphabetical order, then `updated_at`;
- every timestamp is a reading of Auth's clock bound as a parameter: two statements of a
  transaction never share an `updated_at`, and none equals the transaction's `now()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# INSERT, then for each table's statement trigger: on conflict do update fires INSERT and UPDATE.
SESSION = frozenset({"sessions INSERT", "refresh_tokens INSERT", "mfa_amr_claims INSERT", "mfa_amr_claims UPDATE"})
AUDIT = frozenset({"audit_log_entries INSERT"})
OTHER_TABLES = (
    "identities", "sessions", "refresh_tokens", "mfa_amr_claims", "mfa_factors", "one_time_tokens",
    "flow_state", "audit_log_entries",
)  # fmt: skip
TIMESTAMPS = (
    "banned_until", "confirmation_sent_at", "created_at", "deleted_at", "email_change_sent_at",
    "email_confirmed_at", "invited_at", "last_sign_in_at", "phone_confirmed_at", "updated_at",
)  # fmt: skip

RECORDER = """
create schema recorded;
create table recorded.writes (
    seq bigserial primary key,
    txid bigint not null,
    tbl text not null,
    op text not null,
    query text not null,
    new_row jsonb,
    tx_now timestamptz not null
);
create function recorded.users_row() returns trigger language plpgsql security definer
set search_path = '' as $$
begin
    if pg_catalog.pg_trigger_depth() = 1 then  -- Auth's own statement, not a cascade
        insert into recorded.writes (txid, tbl, op, query, new_row, tx_now)
        values (pg_catalog.txid_current(), 'users', tg_op, pg_catalog.current_query(),
                case when tg_op <> 'DELETE' then pg_catalog.to_jsonb(new) end, pg_catalog.now());
    end if;
    return null;
end
$$;
create function recorded.statement() returns trigger language plpgsql security definer
set search_path = '' as $$
begin
    if pg_catalog.pg_trigger_depth() = 1 then
        insert into recorded.writes (txid, tbl, op, query, tx_now)
        values (pg_catalog.txid_current(), tg_table_name, tg_op, pg_catalog.current_query(), pg_catalog.now());
    end if;
    return null;
end
$$;
create trigger zz_recorded after insert or update or delete on auth.users
    for each row execute function recorded.users_row();
"""


@dataclass
class Statement:
    op: str  # INSERT, UPDATE or DELETE
    query: str
    row: dict | None  # the auth.users row it left (INSERT, UPDATE)

    @property
    def columns(self) -> list[str]:
        """The columns an UPDATE's SET names, or an INSERT's column list, in their order."""
        if self.op == "UPDATE":
            match = re.fullmatch(r'UPDATE "users" AS users SET (.*) WHERE users\.id = \$\d+', self.query, re.S)
            assert match, f"not the shape of Auth's UPDATE: {self.query}"
            return re.findall(r'"(\w+)" = \$\d+', match.group(1))
        if self.op == "INSERT":
            match = re.fullmatch(r'INSERT INTO "users" \((.*)\) VALUES \(.*\)', self.query, re.S)
            assert match, f"not the shape of Auth's INSERT: {self.query}"
            return re.findall(r'"(\w+)"', match.group(1))
        return []

    @property
    def shape(self) -> str:
        """INSERT, DELETE, or the columns an UPDATE names besides updated_at."""
        if self.op == "UPDATE":
            return " ".join(c for c in self.columns if c != "updated_at")
        return self.op

    def stamp(self, column: str) -> datetime | None:
        value = (self.row or {}).get(column)
        return datetime.fromisoformat(value) if value else None


@dataclass
class Transaction:
    now: datetime
    users: list[Statement] = field(default_factory=list)
    other: set[str] = field(default_factory=set)  # "table OP" of the other auth tables

    @property
    def shapes(self) -> list[str]:
        return [s.shape for s in self.users]


class Recorder:
    """Records every write to the auth tables from its installation on (in a test's own database)."""

    def __init__(self, db):
        self.db = db

    def install(self) -> None:
        with self.db.connect("supabase_admin") as conn:
            conn.execute(RECORDER)
            for table in OTHER_TABLES:
                conn.execute(
                    f"create trigger zz_recorded after insert or update or delete on auth.{table}"
                    " for each statement execute function recorded.statement()"
                )

    def clear(self) -> None:
        with self.db.connect("supabase_admin") as conn:
            conn.execute("truncate recorded.writes")

    def transactions(self) -> list[Transaction]:
        """The writes since the last clear, by transaction, in the order of their first write."""
        with self.db.connect("supabase_admin") as conn:
            rows = conn.execute(
                "select txid, tbl, op, query, new_row, tx_now from recorded.writes order by seq"
            ).fetchall()
        txs: dict[int, Transaction] = {}
        for txid, table, op, query, row, tx_now in rows:
            tx = txs.setdefault(txid, Transaction(now=tx_now))
            if table == "users":
                tx.users.append(Statement(op, query.strip().rstrip(";"), row))
            elif _target(query) == table:  # not a cascade of a delete elsewhere
                tx.other.add(f"{table} {op}")
        return list(txs.values())

    def take(self) -> list[Transaction]:
        """The transactions since the last take, each checked against Auth's rules."""
        txs = self.transactions()
        self.clear()
        for tx in txs:
            assert_written_as_auth_writes(self.db, tx)
        return txs


def _target(query: str) -> str | None:
    """The table a statement writes: cascades fire triggers of other tables, under its text."""
    match = re.match(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:\w+\.)?"?(\w+)"?', query, re.I)
    return match.group(1) if match else None


def auth_users_columns(db) -> list[str]:
    return [
        c
        for (c,) in db.all(
            "select column_name from information_schema.columns where table_schema = 'auth'"
            " and table_name = 'users' order by column_name"
        )
    ]


def assert_written_as_auth_writes(db, tx: Transaction) -> None:
    insert_columns = [c for c in auth_users_columns(db) if c not in ("confirmed_at", "is_super_admin")]
    stamps = []
    for statement in tx.users:
        if statement.op == "INSERT":
            assert statement.columns == insert_columns, statement.query
            stamps += [statement.stamp("created_at"), statement.stamp("updated_at")]
        elif statement.op == "UPDATE":
            columns = statement.columns
            assert columns[-1] == "updated_at" and columns[:-1] == sorted(columns[:-1]), statement.query
            assert "updated_at" not in columns[:-1], statement.query
            stamps.append(statement.stamp("updated_at"))
            for column in columns[:-1]:
                if column in TIMESTAMPS and statement.stamp(column) is not None:
                    assert statement.stamp(column) != tx.now, f"{column} is the transaction's now()"
    assert tx.now not in stamps, "a timestamp equals the transaction's now(): Auth binds its own clock"
    updated = [s.stamp("updated_at") for s in tx.users if s.op == "UPDATE"]
    assert len(set(updated)) == len(updated), "two UPDATEs share an updated_at: Auth reads its clock per statement"
