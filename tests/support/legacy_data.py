"""The legacy tables (chat_users, voice_users, custom_users), and a seeded generator of the mess
real legacy data holds: emails differing in case and whitespace, the same person twice in a
table, phones with and without a country code, shared phones, nulls, rows without an email,
people with no Supabase account (and some with one), custom rows pointing at nobody, extra
columns (in all three tables)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

LEGACY_TABLES = """
create table public.chat_users (
    id uuid primary key, email text, full_name text, phone_number text, password_hash text,
    privacy_settings jsonb, notification_prefs jsonb, is_active boolean, created_at timestamptz, locale text);
create table public.voice_users (
    id uuid primary key, name text, email text, phone text, password_hash text, created_at timestamptz,
    preferred_voice text, call_minutes integer);
create table public.custom_users (user_id uuid, full_name text, current_streak integer, xp integer, team text);
create table public.conversations (
    id bigint generated always as identity primary key, user_id uuid references public.chat_users (id), body text);
"""

CHAT = (
    "id",
    "email",
    "full_name",
    "phone_number",
    "password_hash",
    "privacy_settings",
    "notification_prefs",
    "is_active",
    "created_at",
)
VOICE = ("id", "name", "email", "phone", "password_hash", "created_at", "preferred_voice", "call_minutes")
CUSTOM = ("user_id", "full_name", "current_streak", "xp")
# the extra columns the generator fills
CHAT_EXTRA, CUSTOM_EXTRA = (*CHAT, "locale"), (*CUSTOM, "team")


def create_tables(conn) -> None:
    conn.execute(LEGACY_TABLES)


def insert(conn, table: str, columns: tuple, rows: list[tuple]) -> None:
    with conn.cursor().copy(f"copy public.{table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, (dict, list)) else v for v in row])


def messy(seed: int, people: int, auth_emails: list[str]) -> dict[str, list[tuple]]:
    """Rows for about `people` people; some share emails with `auth_emails` (Supabase accounts)."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    chat, voice, custom = [], [], []

    def when():
        return start + timedelta(minutes=rng.randrange(500_000))

    def spelled(email):  # the same address, as people type it
        return rng.choice([email, email.upper(), f"  {email} ", email.capitalize(), f"{email}\t"])

    def phone():
        digits = f"{rng.randrange(10**9, 10**10)}"
        return rng.choice(
            [
                f"+49{digits}",
                f"+49 {digits[:3]} {digits[3:]}",
                f"0049-{digits}",
                f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
                digits,
                None,
                "+15551234567",
            ]
        )  # the last one shared by many

    def hashed():
        return "$2b$12$" + uuid.uuid4().hex

    for n in range(people):
        email = (
            auth_emails[n] if n < len(auth_emails) else (f"person{n}@legacy.example" if rng.random() > 0.1 else None)
        )
        name = rng.choice([f"Person {n}", f"P. {n}", None, "x" * 250 if rng.random() < 0.02 else f"Person {n}"])
        chat_ids = []
        for _ in range(rng.choice([0, 1, 1, 1, 2])):  # some twice in one table
            chat_ids.append(uuid.uuid4())
            chat.append(
                (
                    chat_ids[-1],
                    spelled(email) if email else None,
                    name if rng.random() > 0.2 else f"Other {n}",
                    phone(),
                    hashed(),
                    rng.choice([None, {"show_email": rng.random() > 0.5}, '"not an object"']),
                    rng.choice([None, {"email": True}, {"email": False, "push": True}, ["a", "list"]]),
                    rng.choice([True, True, False, None]),
                    when(),
                    rng.choice([None, "de-DE", "en"]),
                )
            )
        voice_ids = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            voice_ids.append(uuid.uuid4())
            voice.append(
                (
                    voice_ids[-1],
                    name if rng.random() > 0.3 else f"Voice {n}",
                    spelled(email) if email else None,
                    phone(),
                    hashed(),
                    when(),
                    rng.choice([None, "alloy", "echo"]),
                    rng.choice([None, 0, 42]),
                )
            )
        if rng.random() < 0.3 and (chat_ids or voice_ids):
            custom.append(
                (
                    rng.choice(chat_ids + voice_ids),
                    rng.choice([name, None, "Custom Name"]),
                    rng.randrange(0, 30),
                    rng.choice([0, rng.randrange(1, 5000), None]),
                    rng.choice([None, "red", "blue"]),
                )
            )
    for _ in range(max(1, people // 50)):  # custom rows pointing at nobody
        custom.append((uuid.uuid4(), "Nobody", 1, 10, None))
    return {"chat_users": chat, "voice_users": voice, "custom_users": custom}


def load(conn, data: dict[str, list[tuple]]) -> None:
    for table, columns in (("chat_users", CHAT_EXTRA), ("voice_users", VOICE), ("custom_users", CUSTOM_EXTRA)):
        insert(conn, table, columns, data[table])


class Interrupted(Exception):
    """Raised by an import's progress callback: the import stopped half-way, as by Ctrl-C."""


def interrupt_after(batches: int):
    """A progress callback for glue.legacy.import_legacy that stops it once `batches` are done."""

    def progress(done: int, total: int, counts: dict) -> None:
        if done == batches:
            raise Interrupted

    return progress
