"""The local stand-in of Supabase, for `nura-users dev` and the tests: its roles and `auth` schema
(standin/*.sql), and `AuthServer`, which writes auth.users the way Supabase Auth (GoTrue) does.

Auth connects as supabase_auth_admin with `search_path = auth`, runs each flow in one transaction,
INSERTs naming every column (defaults never apply) and then issues one UPDATE per change. Never
installed by `migrate`: on Supabase the real thing is there.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

NIL_UUID = "00000000-0000-0000-0000-000000000000"


def standin_sql(name: str) -> str:
    return (Path(__file__).resolve().parent / "standin" / name).read_text()


def install(superuser_url: str, dbname: str) -> None:
    """Create the platform roles, a database owned by `postgres`, and the auth schema in it.
    Idempotent. `superuser_url` is a superuser connection to any existing database."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(standin_sql("supabase_roles.sql"))
        if not conn.execute("select exists (select from pg_database where datname = %s)", (dbname,)).fetchone()[0]:
            conn.execute(sql.SQL("create database {} owner postgres").format(sql.Identifier(dbname)))
    target = psycopg.conninfo.make_conninfo(superuser_url, dbname=dbname)
    with psycopg.connect(target, autocommit=True) as conn:
        if conn.execute("select to_regnamespace('auth')").fetchone()[0] is None:
            with conn.transaction():
                conn.execute(standin_sql("supabase_auth.sql"))


_COLUMNS = (
    "instance_id",
    "id",
    "aud",
    "role",
    "email",
    "encrypted_password",
    "email_confirmed_at",
    "invited_at",
    "confirmation_token",
    "confirmation_sent_at",
    "recovery_token",
    "recovery_sent_at",
    "email_change_token_new",
    "email_change",
    "email_change_sent_at",
    "last_sign_in_at",
    "raw_app_meta_data",
    "raw_user_meta_data",
    "is_super_admin",
    "created_at",
    "updated_at",
    "phone",
    "phone_confirmed_at",
    "phone_change",
    "phone_change_token",
    "phone_change_sent_at",
    "email_change_token_current",
    "email_change_confirm_status",
    "banned_until",
    "reauthentication_token",
    "reauthentication_sent_at",
    "is_sso_user",
    "deleted_at",
    "is_anonymous",
)


def _password_hash() -> str:
    # The shape of a bcrypt hash; its value never matters here.
    return "$2a$10$" + secrets.token_urlsafe(40)[:53]


def _token() -> str:
    return secrets.token_hex(28)


@dataclass
class AuthServer:
    """Replays Supabase Auth's writes to auth.users. `url` must connect as supabase_auth_admin."""

    url: str

    def _flow(self):
        return psycopg.connect(self.url)

    @staticmethod
    def _insert(conn: psycopg.Connection, **values: Any) -> None:
        row = {c: None for c in _COLUMNS}
        row.update(
            instance_id=NIL_UUID,
            aud="authenticated",
            role="",
            encrypted_password="",
            confirmation_token="",
            recovery_token="",
            email_change_token_new="",
            email_change="",
            raw_app_meta_data=Jsonb({}),
            raw_user_meta_data=Jsonb({}),
            phone_change="",
            phone_change_token="",
            email_change_token_current="",
            email_change_confirm_status=0,
            reauthentication_token="",
            is_sso_user=False,
            is_anonymous=False,
        )
        row.update(values)
        conn.execute(
            sql.SQL("insert into users ({}) values ({}, now(), now(), {})").format(
                sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
                sql.SQL(", ").join(sql.Placeholder(c) for c in _COLUMNS[:19]),
                sql.SQL(", ").join(sql.Placeholder(c) for c in _COLUMNS[21:]),
            ),
            row,
        )

    @staticmethod
    def _update(conn: psycopg.Connection, user_id: str, **values: Any) -> None:
        sets = [sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values]
        conn.execute(
            sql.SQL("update users set {}, updated_at = now() where id = %(id)s").format(sql.SQL(", ").join(sets)),
            {**values, "id": user_id},
        )

    @staticmethod
    def _now_update(conn: psycopg.Connection, user_id: str, *columns: str, **values: Any) -> None:
        sets = [sql.SQL("{} = now()").format(sql.Identifier(c)) for c in columns]
        sets += [sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values]
        conn.execute(
            sql.SQL("update users set {}, updated_at = now() where id = %(id)s").format(sql.SQL(", ").join(sets)),
            {**values, "id": user_id},
        )

    @staticmethod
    def _meta(conn: psycopg.Connection, user_id: str, column: str) -> dict:
        return (
            conn.execute(
                sql.SQL("select {} from users where id = %s").format(sql.Identifier(column)), (user_id,)
            ).fetchone()[0]
            or {}
        )

    def _identity(self, conn, user_id: str, provider: str, provider_id: str, data: dict) -> None:
        conn.execute(
            "insert into identities (provider_id, user_id, identity_data, provider, last_sign_in_at,"
            " created_at, updated_at) values (%s, %s, %s, %s, now(), now(), now())",
            (provider_id, user_id, Jsonb(data), provider),
        )

    def _signup(
        self,
        conn,
        user_id: str,
        provider: str,
        identity_key: str,
        user_meta: dict,
        confirm_column: str | None,
        **columns: Any,
    ) -> None:
        app_meta = {"provider": provider, "providers": [provider]}
        self._insert(
            conn,
            id=user_id,
            encrypted_password=_password_hash(),
            raw_app_meta_data=Jsonb(app_meta),
            raw_user_meta_data=Jsonb(user_meta),
            **columns,
        )
        self._update(conn, user_id, role="authenticated")
        identity = {"sub": user_id, **user_meta, "email_verified": False, "phone_verified": False}
        if columns.get("email"):
            identity["email"] = columns["email"]
        self._identity(conn, user_id, provider, identity_key, identity)
        self._update(conn, user_id, raw_user_meta_data=Jsonb({**user_meta, **identity}))
        self._update(conn, user_id, raw_app_meta_data=Jsonb(app_meta))
        if confirm_column:
            self._now_update(conn, user_id, confirm_column, confirmation_token="")
            verified = "email_verified" if confirm_column == "email_confirmed_at" else "phone_verified"
            self._update(conn, user_id, raw_user_meta_data=Jsonb({**user_meta, **identity, verified: True}))
        else:
            self._now_update(conn, user_id, "confirmation_sent_at", confirmation_token=_token())

    def email_signup(
        self, email: str, data: dict | None = None, *, autoconfirm: bool = True, sign_in: bool = False
    ) -> str:
        user_id = str(uuid.uuid4())
        with self._flow() as conn:
            self._signup(
                conn,
                user_id,
                "email",
                user_id,
                data or {},
                "email_confirmed_at" if autoconfirm else None,
                email=email.lower(),
            )
            if sign_in and autoconfirm:
                self._now_update(conn, user_id, "last_sign_in_at")
        return user_id

    def phone_signup(self, phone_digits: str, data: dict | None = None, *, autoconfirm: bool = True) -> str:
        user_id = str(uuid.uuid4())
        with self._flow() as conn:
            self._signup(
                conn,
                user_id,
                "phone",
                user_id,
                data or {},
                "phone_confirmed_at" if autoconfirm else None,
                phone=phone_digits,
            )
        return user_id

    def oauth_signup(self, provider: str, claims: dict, *, sso: bool = False) -> str:
        """Google sends name/picture, GitHub avatar_url/user_name; SAML users are is_sso_user."""
        user_id = str(uuid.uuid4())
        email = claims.get("email")
        with self._flow() as conn:
            self._signup(
                conn,
                user_id,
                provider,
                str(claims.get("sub", user_id)),
                claims,
                "email_confirmed_at",
                email=email.lower() if email else None,
                is_sso_user=sso,
            )
            self._now_update(conn, user_id, "last_sign_in_at")
        return user_id

    def anonymous_sign_in(self) -> str:
        user_id = str(uuid.uuid4())
        with self._flow() as conn:
            self._insert(conn, id=user_id, is_anonymous=True)
            self._update(conn, user_id, role="authenticated")
            self._now_update(conn, user_id, "last_sign_in_at")
        return user_id

    def admin_create(
        self, email: str, *, user_id: str | None = None, data: dict | None = None, app_metadata: dict | None = None
    ) -> str:
        user_id = user_id or str(uuid.uuid4())
        with self._flow() as conn:
            self._insert(
                conn,
                id=user_id,
                email=email.lower(),
                encrypted_password=_password_hash(),
                raw_app_meta_data=Jsonb({"provider": "email", "providers": ["email"]}),
                raw_user_meta_data=Jsonb(data or {}),
            )
            self._update(conn, user_id, role="authenticated")
            if app_metadata:
                self._update(
                    conn,
                    user_id,
                    raw_app_meta_data=Jsonb({"provider": "email", "providers": ["email"], **app_metadata}),
                )
        return user_id

    def confirm_email(self, user_id: str) -> None:
        with self._flow() as conn:
            self._now_update(conn, user_id, "email_confirmed_at", confirmation_token="")

    def sign_in(self, user_id: str) -> None:
        with self._flow() as conn:
            self._now_update(conn, user_id, "last_sign_in_at")

    def update_metadata(self, user_id: str, data: dict) -> None:
        """supabase.auth.updateUser({data}): a shallow merge, a null value deleting the key."""
        with self._flow() as conn:
            merged = {**self._meta(conn, user_id, "raw_user_meta_data"), **data}
            merged = {k: v for k, v in merged.items() if v is not None}
            self._update(conn, user_id, raw_user_meta_data=Jsonb(merged))

    def request_email_change(self, user_id: str, new_email: str) -> None:
        with self._flow() as conn:
            self._now_update(
                conn,
                user_id,
                "email_change_sent_at",
                email_change=new_email.lower(),
                email_change_token_new=_token(),
                email_change_token_current=_token(),
            )

    def confirm_email_change(self, user_id: str) -> None:
        with self._flow() as conn:
            conn.execute(
                "update users set email = email_change, email_change = '', email_change_token_new = '',"
                " email_change_token_current = '', email_change_confirm_status = 0,"
                " updated_at = now() where id = %s",
                (user_id,),
            )

    def ban(self, user_id: str, hours: int = 24) -> None:
        with self._flow() as conn:
            conn.execute(
                "update users set banned_until = now() + make_interval(hours => %s), updated_at = now() where id = %s",
                (hours, user_id),
            )

    def soft_delete(self, user_id: str) -> None:
        with self._flow() as conn:
            conn.execute(
                "update users set email = encode(sha256(convert_to(coalesce(email, '') || id, 'UTF8')), 'hex'),"
                " phone = case when phone is null then null"
                " else encode(sha256(convert_to(phone || id, 'UTF8')), 'hex') end,"
                " encrypted_password = null, confirmation_token = '', recovery_token = '',"
                " email_change_token_new = '', email_change_token_current = '', phone_change_token = '',"
                " reauthentication_token = '', deleted_at = now(), updated_at = now() where id = %s",
                (user_id,),
            )
            self._update(conn, user_id, raw_user_meta_data=Jsonb({}), raw_app_meta_data=Jsonb({}))

    def hard_delete(self, user_id: str) -> None:
        with self._flow() as conn:
            conn.execute("delete from users where id = %s", (user_id,))


DEV_ISSUER = "http://127.0.0.1/auth/v1"


def access_token(
    key: Any,
    user_id: str,
    *,
    algorithm: str = "HS256",
    kid: str | None = None,
    lifetime_seconds: int = 3600,
    **claims: Any,
) -> str:
    """An access token shaped like the ones Supabase Auth issues, signed with `key` (the project's
    JWT secret for HS256, a private key for ES256/RS256). `claims` add to or override the usual."""
    now = int(time.time())
    payload = {
        "iss": DEV_ISSUER,
        "sub": user_id,
        "aud": "authenticated",
        "exp": now + lifetime_seconds,
        "iat": now,
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
        "app_metadata": {},
        "user_metadata": {},
    }
    payload.update(claims)
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid} if kid else None)
