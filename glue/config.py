"""Settings from the environment (the contract's variables) and connection-URL handling."""

from __future__ import annotations

import os
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    pass


TRANSACTION_POOLER_PORT = 6543


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL is not set")
    return url


def migrate_database_url() -> str:
    """The URL for migrate/rollback/legacy: a direct or session connection, never the transaction
    pooler (it keeps no session state between transactions, which locks and DDL need)."""
    url = os.environ.get("MIGRATE_DATABASE_URL", "").strip() or database_url()
    if urlsplit(url).port == TRANSACTION_POOLER_PORT:
        raise ConfigError(
            f"MIGRATE_DATABASE_URL points at port {TRANSACTION_POOLER_PORT}, Supabase's transaction pooler: "
            "use the direct connection (port 5432) or the session pooler")
    return url


def yoyo_url(url: str, schema: str) -> str:
    """yoyo reads `postgresql://` as psycopg2; ask for psycopg 3 and keep its tables in `schema`."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ConfigError("the database URL is not a postgresql:// URL")
    joiner = "&" if "?" in rest else "?"
    return f"postgresql+psycopg://{rest}{joiner}schema={schema}"
