"""Settings from the environment (the contract's variables) and connection-URL handling."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import OperatorError


class ConfigError(OperatorError):
    pass


TRANSACTION_POOLER_PORT = 6543
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


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
            "use the direct connection (port 5432) or the session pooler"
        )
    return url


def yoyo_url(url: str, schema: str) -> str:
    """yoyo reads `postgresql://` as psycopg2; ask for psycopg 3 and keep its tables in `schema`."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ConfigError("the database URL is not a postgresql:// URL")
    joiner = "&" if "?" in rest else "?"
    return f"postgresql+psycopg://{rest}{joiner}schema={schema}"


@dataclass(frozen=True)
class ApiSettings:
    """What the HTTP API reads from the environment (docs/http-api.md)."""

    database_url: str
    jwt_secret: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    webhook_secret: str | None = None
    cors_origins: tuple[str, ...] = ()
    metrics_token: str | None = None

    @classmethod
    def from_env(cls) -> ApiSettings:
        def env(name: str) -> str | None:
            return os.environ.get(name, "").strip() or None

        settings = cls(
            database_url=database_url(),
            jwt_secret=env("SUPABASE_JWT_SECRET"),
            jwks_url=env("SUPABASE_JWKS_URL"),
            jwt_issuer=env("SUPABASE_JWT_ISSUER"),
            webhook_secret=env("NURA_WEBHOOK_SECRET"),
            metrics_token=env("NURA_METRICS_TOKEN"),
            cors_origins=tuple(o.strip().rstrip("/") for o in (env("NURA_CORS_ORIGINS") or "").split(",") if o.strip()),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if not (self.jwt_secret or self.jwks_url):
            raise ConfigError(
                "set SUPABASE_JWT_SECRET (HS256 projects) or SUPABASE_JWKS_URL (asymmetric keys): "
                "without one no access token can be verified"
            )
        if self.jwks_url:
            jwks = urlsplit(self.jwks_url)
            if jwks.scheme != "https" and not (jwks.scheme == "http" and jwks.hostname in LOOPBACK):
                raise ConfigError(
                    "SUPABASE_JWKS_URL must be an https URL (plain http only on loopback): "
                    "whoever can change the keys in transit can sign tokens"
                )
        for origin in self.cors_origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ConfigError(
                    f"NURA_CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com "
                    "(scheme, host and port only), nor *"
                )


def port_number(text: str) -> int | None:
    """`text` as a TCP port, None if it is not one."""
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def listen_address(host: str | None, port: int | None) -> tuple[str, int]:
    """--host/--port, else HOST/PORT, else 127.0.0.1:8000."""
    host = host or os.environ.get("HOST", "").strip() or "127.0.0.1"
    if port is None:
        raw = os.environ.get("PORT", "").strip() or "8000"
        if (port := port_number(raw)) is None:
            raise ConfigError(f"PORT must be a port number, got {raw!r}")
    return host, port
