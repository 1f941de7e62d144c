"""The local stand-in of Supabase, for `nura-users dev` and the tests: its roles and `auth` schema
(standin/*.sql: auth.users and the tables Auth's transactions write beside it), and `AuthServer`,
which replays what Supabase Auth (GoTrue) writes for each of its flows.

What Auth writes, read from its source: it connects as supabase_auth_admin with
`search_path = auth`; an INSERT names 33 columns (defaults never apply); every change is then an
`UPDATE "users" AS users SET <columns>, updated_at WHERE id` of its own, each statement binding a
new reading of Auth's clock; metadata is merged in Auth's memory and written whole; several flows
take two transactions; and the same transactions write identities, audit rows, one-time tokens,
sessions, refresh tokens and AMR claims. Never installed by `migrate`: on Supabase the real
thing is there.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg
from psycopg import sql
from psycopg.rows import dict_row
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


# The columns Auth's INSERT names, alphabetical as its ORM writes them: all but confirmed_at
# (generated) and is_super_admin (never written).
INSERT_COLUMNS = (
    "aud", "banned_until", "confirmation_sent_at", "confirmation_token", "created_at", "deleted_at", "email",
    "email_change", "email_change_confirm_status", "email_change_sent_at", "email_change_token_current",
    "email_change_token_new", "email_confirmed_at", "encrypted_password", "id", "instance_id", "invited_at",
    "is_anonymous", "is_sso_user", "last_sign_in_at", "phone", "phone_change", "phone_change_sent_at",
    "phone_change_token", "phone_confirmed_at", "raw_app_meta_data", "raw_user_meta_data",
    "reauthentication_sent_at", "reauthentication_token", "recovery_sent_at", "recovery_token", "role",
    "updated_at",
)  # fmt: skip


def clock() -> datetime:
    """The Auth server's clock: each statement binds a reading of its own."""
    return datetime.now(UTC)


def _password_hash() -> str:
    # The shape of a bcrypt hash; its value never matters here.
    return "$2a$10$" + secrets.token_urlsafe(40)[:53]


def _token() -> str:
    return secrets.token_hex(28)


def _obfuscated(user_id: str, value: str | None) -> str:
    """What a soft delete writes in place of an email or phone, empty ones too."""
    digest = hashlib.sha256((user_id + (value or "")).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Transaction:
    """One of Auth's transactions, on a connection as supabase_auth_admin (search_path auth): the
    statements it issues on users and the other tables, each with its own clock reading."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def insert_user(self, **values: Any) -> None:
        """INSERT naming the 33 columns: empty email and phone as NULL, tokens as '', a missing
        metadata map as JSON null."""
        now = clock()
        row: dict[str, Any] = dict.fromkeys(INSERT_COLUMNS)
        row.update(
            instance_id=NIL_UUID, aud="authenticated", role="", encrypted_password="", confirmation_token="",
            recovery_token="", email_change_token_new="", email_change="", email_change_token_current="",
            email_change_confirm_status=0, phone_change="", phone_change_token="", reauthentication_token="",
            is_sso_user=False, is_anonymous=False, created_at=now, updated_at=now,
            raw_app_meta_data=Jsonb(None), raw_user_meta_data=Jsonb(None),
        )  # fmt: skip
        row.update({k: Jsonb(v) if k.startswith("raw_") else v for k, v in values.items()})
        self.conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier("users"),
                sql.SQL(", ").join(map(sql.Identifier, INSERT_COLUMNS)),
                sql.SQL(", ").join(sql.Placeholder(c) for c in INSERT_COLUMNS),
            ),
            row,
        )

    def update_user(self, user_id: str, **values: Any) -> None:
        """UPDATE "users" AS users SET the named columns (alphabetical) and updated_at WHERE id."""
        values = {k: Jsonb(v) if k.startswith("raw_") else v for k, v in sorted(values.items())}
        values["updated_at"] = clock()
        self.conn.execute(
            sql.SQL('UPDATE "users" AS users SET {} WHERE users.id = %(__id)s').format(
                sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values)
            ),
            {**values, "__id": user_id},
        )

    def user(self, user_id: str) -> dict:
        """The user as Auth holds it in memory (read before it writes)."""
        cur = self.conn.cursor(row_factory=dict_row)
        row = cur.execute("select * from users where id = %s", (user_id,)).fetchone()
        if row is None:
            raise LookupError(f"no auth user {user_id}")
        return row

    def app_metadata_with_providers(self, user: dict) -> dict:
        """The app metadata with `providers` (and `provider`, the first) from the user's identities."""
        providers = [
            p for (p,) in self.conn.execute(
                "SELECT DISTINCT provider FROM identities WHERE user_id = %s ORDER BY provider", (user["id"],)
            )
        ]  # fmt: skip
        return {**(user["raw_app_meta_data"] or {}), "providers": providers,
                **({"provider": providers[0]} if providers else {})}  # fmt: skip

    def audit(self, user_id: str, action: str) -> None:
        payload = {"actor_id": user_id, "action": action, "log_type": "user"}
        self.conn.execute(
            "INSERT INTO audit_log_entries (instance_id, id, payload, created_at, ip_address)"
            " VALUES (%s, %s, %s, %s, %s)",
            (NIL_UUID, uuid.uuid4(), Jsonb(payload), clock(), "127.0.0.1"),
        )

    def identity(self, user_id: str, provider: str, provider_id: str, data: dict) -> None:
        now = clock()
        self.conn.execute(
            "INSERT INTO identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (provider_id, user_id, Jsonb(data), provider, now, now, now),
        )

    def update_identities(
        self, user_id: str, provider: str | None = None, *, identity_data: dict | None = None, last_sign_in_at=None
    ) -> None:
        """UPDATE the user's identities (of one provider, if given): identity_data merged over what
        each holds, as Auth merges it in memory."""
        self.conn.execute(
            "UPDATE identities SET identity_data = identity_data || coalesce(%s::jsonb, '{}'),"
            " last_sign_in_at = coalesce(%s, last_sign_in_at), updated_at = %s"
            " WHERE user_id = %s AND (%s::text IS NULL OR provider = %s)",
            (Jsonb(identity_data) if identity_data is not None else None, last_sign_in_at, clock(), user_id,
             provider, provider),
        )  # fmt: skip

    def one_time_token(self, user_id: str, token_type: str, token: str, relates_to: str) -> None:
        """Auth replaces the user's token of that type: DELETE, then INSERT."""
        self.clear_one_time_tokens(user_id, token_type)
        now = clock()
        self.conn.execute(
            "INSERT INTO one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (uuid.uuid4(), user_id, token_type, hashlib.sha224(token.encode()).hexdigest(), relates_to, now, now),
        )

    def clear_one_time_tokens(self, user_id: str, token_type: str | None = None) -> None:
        self.conn.execute(
            "DELETE FROM one_time_tokens WHERE user_id = %s AND (%s::auth.one_time_token_type IS NULL"
            " OR token_type = %s::auth.one_time_token_type)",
            (user_id, token_type, token_type),
        )

    def session(self, user_id: str, method: str = "password") -> None:
        """SESSION: the session, its refresh token, the sign-in on the user, the AMR claim."""
        now = clock()
        session_id = uuid.uuid4()
        self.conn.execute(
            "INSERT INTO sessions (id, user_id, created_at, updated_at, factor_id, aal, not_after, refreshed_at,"
            " user_agent, ip, tag) VALUES (%s, %s, %s, %s, NULL, 'aal1', NULL, NULL, %s, %s, NULL)",
            (session_id, user_id, now, now, "supabase-js", "127.0.0.1"),
        )
        now = clock()
        self.conn.execute(
            "INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent,"
            " session_id) VALUES (%s, %s, %s, false, %s, %s, NULL, %s)",
            (NIL_UUID, secrets.token_urlsafe(9), user_id, now, now, session_id),
        )
        self.update_user(user_id, last_sign_in_at=clock())
        now = clock()
        self.conn.execute(
            "INSERT INTO mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session_id, authentication_method)"
            " DO UPDATE SET updated_at = excluded.updated_at",
            (session_id, now, now, method, uuid.uuid4()),
        )


@dataclass
class AuthServer:
    """Replays what Supabase Auth writes for each of its flows, statement by statement and
    transaction by transaction (see docs/development.md). `url` connects as supabase_auth_admin,
    whose search_path is auth."""

    url: str

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with psycopg.connect(self.url) as conn:
            yield Transaction(conn)

    # --- signups ---------------------------------------------------------------------------

    def email_signup(self, email: str, data: dict | None = None, *, autoconfirm: bool = True) -> str:
        """supabase.auth.signUp({email, password, options: {data}}). With autoconfirm Auth confirms
        the address in the signup's transaction and signs the user in in a second one."""
        user_id = str(uuid.uuid4())
        email = email.lower()
        data = data or {}
        with self.transaction() as tx:
            app = {"provider": "email", "providers": ["email"]}
            tx.insert_user(id=user_id, email=email, encrypted_password=_password_hash(),
                           raw_app_meta_data=app, raw_user_meta_data=data)  # fmt: skip
            tx.update_user(user_id, role="authenticated")
            claims = {"sub": user_id, "email": email, "email_verified": False, "phone_verified": False}
            tx.identity(user_id, "email", user_id, claims)
            meta = {**data, **claims}
            tx.update_user(user_id, raw_user_meta_data=meta)
            tx.update_user(user_id, raw_app_meta_data=app)
            tx.audit(user_id, "user_signedup" if autoconfirm else "user_confirmation_requested")
            if autoconfirm:
                tx.update_user(user_id, confirmation_token="", email_confirmed_at=clock())
                tx.update_user(user_id, raw_user_meta_data={**meta, "email_verified": True})
                tx.clear_one_time_tokens(user_id)
            else:
                token = _token()
                tx.update_user(user_id, confirmation_sent_at=clock(), confirmation_token=token)
                tx.one_time_token(user_id, "confirmation_token", token, email)
        if autoconfirm:
            self.sign_in(user_id)
        return user_id

    def phone_signup(self, phone_digits: str, data: dict | None = None, *, autoconfirm: bool = True) -> str:
        """supabase.auth.signUp({phone, password}): an SMS OTP, or confirmed at once (then a session)."""
        user_id = str(uuid.uuid4())
        data = data or {}
        with self.transaction() as tx:
            app = {"provider": "phone", "providers": ["phone"]}
            tx.insert_user(id=user_id, phone=phone_digits, encrypted_password=_password_hash(),
                           raw_app_meta_data=app, raw_user_meta_data=data)  # fmt: skip
            tx.update_user(user_id, role="authenticated")
            claims = {"sub": user_id, "email_verified": False, "phone_verified": False}
            tx.identity(user_id, "phone", user_id, {**claims, "phone": phone_digits})
            tx.update_user(user_id, raw_user_meta_data={**data, **claims})
            tx.update_user(user_id, raw_app_meta_data=app)
            tx.audit(user_id, "user_signedup" if autoconfirm else "user_confirmation_requested")
            token = "" if autoconfirm else _token()
            if autoconfirm:
                tx.update_user(user_id, confirmation_token=token, phone_confirmed_at=clock())
                tx.clear_one_time_tokens(user_id)
            else:
                tx.update_user(user_id, confirmation_sent_at=clock(), confirmation_token=token)
                tx.one_time_token(user_id, "confirmation_token", token, phone_digits)
        if autoconfirm:
            self.sign_in(user_id)
        return user_id

    def anonymous_sign_in(self, data: dict | None = None) -> str:
        """supabase.auth.signInAnonymously(): no identity, no audit row."""
        user_id = str(uuid.uuid4())
        with self.transaction() as tx:
            tx.insert_user(id=user_id, raw_app_meta_data={}, raw_user_meta_data=data or {}, is_anonymous=True)
            tx.update_user(user_id, role="authenticated")
            tx.session(user_id, "anonymous")
        return user_id

    def oauth_signup(self, provider: str, claims: dict, *, sso: bool = False) -> str:
        """The first sign-in with an OAuth provider (or SAML SSO, `sso`): one transaction of eight
        statements, the session included."""
        user_id = str(uuid.uuid4())
        claims = {"email_verified": sso, "phone_verified": False, **claims}
        claims.setdefault("sub", secrets.token_hex(8))
        email = claims.get("email")
        provider_name = f"sso:{uuid.uuid4()}" if sso else provider
        with self.transaction() as tx:
            app = {"provider": provider_name, "providers": [provider_name]}
            tx.insert_user(id=user_id, email=email.lower() if email else None, raw_app_meta_data=app,
                           raw_user_meta_data=claims, is_sso_user=sso)  # fmt: skip
            tx.update_user(user_id, role="authenticated")
            tx.identity(user_id, provider_name, str(claims["sub"]), claims)
            tx.update_user(user_id, encrypted_password=None)
            lowered = {**claims, **({"email": email.lower()} if email else {})}
            tx.update_user(user_id, raw_user_meta_data=lowered)
            tx.update_user(user_id, raw_app_meta_data=app)
            tx.audit(user_id, "user_signedup")
            tx.update_user(user_id, confirmation_token="", email_confirmed_at=clock())
            tx.update_user(user_id, raw_user_meta_data={**lowered, "email_verified": True})
            tx.clear_one_time_tokens(user_id)
            tx.conn.execute("DELETE FROM flow_state WHERE user_id = %s", (user_id,))
            tx.session(user_id, "sso/saml" if sso else "oauth")
        return user_id

    def admin_create(
        self,
        email: str | None = None,
        *,
        user_id: str | None = None,
        data: dict | None = None,
        app_metadata: dict | None = None,
        phone: str | None = None,
        password_hash: str | None = None,
        email_confirm: bool = False,
        phone_confirm: bool = False,
        ban_hours: int | None = None,
    ) -> str:
        """supabase.auth.admin.createUser(...): a custom id allowed; the user meta carries no
        identity claims (and is JSON null when a password hash comes without it)."""
        user_id = user_id or str(uuid.uuid4())
        email = email.lower() if email else None
        providers = [p for p, given in (("email", email), ("phone", phone)) if given]
        user_meta = data if password_hash else (data or {})
        with self.transaction() as tx:
            app = {"provider": providers[0], "providers": providers}
            tx.insert_user(id=user_id, email=email, phone=phone, encrypted_password=password_hash or _password_hash(),
                           raw_app_meta_data=app, raw_user_meta_data=user_meta)  # fmt: skip
            if email:
                tx.identity(user_id, "email", user_id, {"sub": user_id, "email": email})
            if phone:
                tx.identity(user_id, "phone", user_id, {"sub": user_id, "phone": phone})
            tx.audit(user_id, "user_signedup")
            tx.update_user(user_id, role="authenticated")
            if app_metadata:
                tx.update_user(user_id, raw_app_meta_data={**app, **app_metadata})
            if email_confirm:
                tx.update_user(user_id, confirmation_token="", email_confirmed_at=clock())
                tx.update_user(user_id, raw_user_meta_data={**(user_meta or {}), "email_verified": True})
                tx.clear_one_time_tokens(user_id)
            if phone_confirm:
                tx.update_user(user_id, confirmation_token="", phone_confirmed_at=clock())
                tx.clear_one_time_tokens(user_id)
            if ban_hours:
                tx.update_user(user_id, banned_until=clock() + timedelta(hours=ban_hours))
        return user_id

    # --- confirmations and sign-ins ----------------------------------------------------------

    def confirm_email(self, user_id: str) -> None:
        """The confirmation link (or POST /verify): confirmed, then signed in, one transaction."""
        with self.transaction() as tx:
            user = tx.user(user_id)
            tx.audit(user_id, "user_signedup")
            tx.update_user(user_id, confirmation_token="", email_confirmed_at=clock())
            tx.update_user(user_id, raw_user_meta_data={**(user["raw_user_meta_data"] or {}), "email_verified": True})
            tx.clear_one_time_tokens(user_id)
            tx.update_identities(user_id, "email", identity_data={"email_verified": True})
            tx.update_user(user_id, raw_app_meta_data=user["raw_app_meta_data"])
            tx.session(user_id, "otp")

    def verify_phone(self, user_id: str) -> None:
        """An SMS code verified: confirmed (an anonymous user becomes permanent), signed in."""
        with self.transaction() as tx:
            user = tx.user(user_id)
            tx.update_user(user_id, confirmation_token="", phone_confirmed_at=clock())
            if user["is_anonymous"]:
                tx.update_user(user_id, is_anonymous=False)
            tx.update_user(user_id, raw_app_meta_data=user["raw_app_meta_data"])
            tx.audit(user_id, "user_signedup")
            tx.clear_one_time_tokens(user_id, "confirmation_token")
            tx.session(user_id, "otp")

    def sign_in(self, user_id: str, method: str = "password") -> None:
        """A password sign-in (or the session an autoconfirmed signup opens): the audit row and SESSION."""
        with self.transaction() as tx:
            tx.audit(user_id, "login")
            tx.session(user_id, method)

    def refresh(self, user_id: str, *, legacy_tokens: bool = True) -> None:
        """The refresh-token grant. With the default (legacy) tokens: the newest token revoked and
        a new one issued, the session refreshed, and last_sign_in_at written with the value it
        has. With the newer tokens only the session and the audit row are written."""
        if not legacy_tokens:
            with self.transaction() as tx:
                now = clock()
                done = tx.conn.execute(
                    "UPDATE sessions SET refresh_token_counter = coalesce(refresh_token_counter, 0) + 1,"
                    " refreshed_at = %s, updated_at = %s WHERE id = (SELECT id FROM sessions WHERE user_id = %s"
                    " ORDER BY created_at DESC LIMIT 1)",
                    (now.replace(tzinfo=None), now, user_id),
                )
                if done.rowcount == 0:
                    raise LookupError(f"auth user {user_id} has no session to refresh")
                tx.audit(user_id, "token_refreshed")
            return
        with self.transaction() as tx:
            token = tx.conn.execute(
                "SELECT r.id, r.token, r.session_id FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id"
                " WHERE s.user_id = %s AND NOT r.revoked ORDER BY r.id DESC LIMIT 1 FOR UPDATE",
                (user_id,),
            ).fetchone()
            if token is None:
                raise LookupError(f"auth user {user_id} has no session to refresh")
            user = tx.user(user_id)
            tx.audit(user_id, "token_refreshed")
            tx.audit(user_id, "token_revoked")
            tx.conn.execute(
                "UPDATE refresh_tokens SET revoked = true, updated_at = %s WHERE id = %s", (clock(), token[0])
            )
            now = clock()
            tx.conn.execute(
                "INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent,"
                " session_id) VALUES (%s, %s, %s, false, %s, %s, %s, %s)",
                (NIL_UUID, secrets.token_urlsafe(9), user_id, now, now, token[1], token[2]),
            )
            tx.update_user(user_id, last_sign_in_at=user["last_sign_in_at"])
            now = clock()
            tx.conn.execute(
                "UPDATE sessions SET refreshed_at = %s, user_agent = %s, ip = %s, updated_at = %s WHERE id = %s",
                (now.replace(tzinfo=None), "supabase-js", "127.0.0.1", now, token[2]),
            )

    def logout(self, user_id: str) -> None:
        """supabase.auth.signOut() (scope global): the sessions go, nothing on users."""
        with self.transaction() as tx:
            tx.audit(user_id, "logout")
            tx.conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))

    def oauth_login(self, user_id: str, claims: dict) -> None:
        """A returning OAuth login: the provider's current claims merged over the stored metadata
        and written whole even when nothing changed, the app metadata rewritten, then SESSION."""
        with self.transaction() as tx:
            user = tx.user(user_id)
            tx.update_user(user_id, raw_user_meta_data={**(user["raw_user_meta_data"] or {}), **claims})
            tx.update_user(user_id, raw_app_meta_data=user["raw_app_meta_data"])
            provider = (user["raw_app_meta_data"] or {}).get("provider")
            tx.update_identities(user_id, provider, identity_data=claims, last_sign_in_at=clock())
            tx.audit(user_id, "login")
            tx.conn.execute("DELETE FROM flow_state WHERE user_id = %s", (user_id,))
            tx.session(user_id, "oauth")

    # --- changes ---------------------------------------------------------------------------

    def update_metadata(self, user_id: str, data: dict) -> None:
        """supabase.auth.updateUser({data}): a shallow merge of a copy Auth read before the
        transaction, a null value deleting the key, written whole (even for {})."""
        with self.transaction() as tx:
            merged = {**(tx.user(user_id)["raw_user_meta_data"] or {}), **data}
        with self.transaction() as tx:
            tx.update_user(user_id, raw_user_meta_data={k: v for k, v in merged.items() if v is not None})
            tx.audit(user_id, "user_modified")

    def request_email_change(self, user_id: str, new_email: str) -> None:
        """updateUser({email}): the change waits for its confirmation (a link to the current address
        too, if there is one); email itself is untouched."""
        new_email = new_email.lower()
        with self.transaction() as tx:
            current_email = tx.user(user_id)["email"]
            current, new = (_token() if current_email else ""), _token()
            tx.update_user(user_id, email_change=new_email, email_change_confirm_status=0,
                           email_change_sent_at=clock(), email_change_token_current=current,
                           email_change_token_new=new)  # fmt: skip
            if current_email:
                tx.one_time_token(user_id, "email_change_token_current", current, current_email)
            tx.one_time_token(user_id, "email_change_token_new", new, new_email)
            tx.audit(user_id, "user_modified")

    def confirm_email_change(self, user_id: str, *, secure: bool = True) -> None:
        """The email change's links: with secure change (the default) and a current address, the
        first link (to the current address), one transaction, then the second, another; else the
        second alone."""
        with self.transaction() as tx:
            user = tx.user(user_id)
        if secure and user["email"] is not None:
            with self.transaction() as tx:
                tx.clear_one_time_tokens(user_id, "email_change_token_current")
                tx.update_user(user_id, email_change_confirm_status=1, email_change_token_current="",
                               email_change_token_new=user["email_change_token_new"])  # fmt: skip
        with self.transaction() as tx:
            user = tx.user(user_id)
            new_email = user["email_change"]
            tx.audit(user_id, "user_modified")
            if user["email"] is None:
                tx.identity(user_id, "email", user_id, {"sub": user_id, "email": new_email, "email_verified": True})
            else:
                tx.update_identities(user_id, "email", identity_data={"email": new_email, "email_verified": True})
            if user["is_anonymous"]:
                tx.update_user(user_id, is_anonymous=False)
            tx.update_user(user_id, email=new_email, email_change="", email_change_confirm_status=0,
                           email_change_token_current="", email_change_token_new="")  # fmt: skip
            tx.clear_one_time_tokens(user_id)
            if user["email_confirmed_at"] is None:
                tx.update_user(user_id, confirmation_token="", email_confirmed_at=clock())
                tx.update_user(user_id, raw_user_meta_data={**(user["raw_user_meta_data"] or {}),
                                                            "email_verified": True})  # fmt: skip
                tx.clear_one_time_tokens(user_id)
            tx.update_user(user_id, raw_app_meta_data=tx.app_metadata_with_providers(user))
            tx.session(user_id, "otp")

    def ban(self, user_id: str, hours: int = 24) -> None:
        with self.transaction() as tx:
            tx.update_user(user_id, banned_until=clock() + timedelta(hours=hours))
            tx.audit(user_id, "user_modified")

    # --- deletions -------------------------------------------------------------------------

    def soft_delete(self, user_id: str) -> None:
        """admin.deleteUser(id, shouldSoftDelete): three UPDATEs; email and phone become hashes,
        empty ones too."""
        with self.transaction() as tx:
            user = tx.user(user_id)
            tx.update_user(
                user_id,
                email=_obfuscated(user_id, user["email"]),
                phone=_obfuscated(user_id, user["phone"])[:15],
                email_change=_obfuscated(user_id, user["email_change"]),
                phone_change=_obfuscated(user_id, user["phone_change"])[:15],
                encrypted_password=None, confirmation_token="", recovery_token="", email_change_token_current="",
                email_change_token_new="", phone_change_token="", deleted_at=clock(),
            )  # fmt: skip
            tx.clear_one_time_tokens(user_id)
            tx.update_user(user_id, raw_user_meta_data={})
            tx.update_user(user_id, raw_app_meta_data={})
            tx.conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
            identities = tx.conn.execute(
                "SELECT id, provider, provider_id FROM identities WHERE user_id = %s", (user_id,)
            ).fetchall()
            for identity_id, provider, provider_id in identities:
                tx.conn.execute(
                    "UPDATE identities SET identity_data = '{}', updated_at = %s WHERE id = %s", (clock(), identity_id)
                )
                tx.conn.execute(
                    "update identities set provider_id = %s where id = %s",
                    (_obfuscated(user_id, f"{provider}:{provider_id}"), identity_id),
                )
            tx.conn.execute("DELETE FROM mfa_factors WHERE user_id = %s", (user_id,))
            tx.audit(user_id, "user_deleted")

    def hard_delete(self, user_id: str) -> None:
        """admin.deleteUser(id): one DELETE; the other tables follow by cascade."""
        with self.transaction() as tx:
            tx.audit(user_id, "user_deleted")
            tx.conn.execute('DELETE FROM "users" AS users WHERE users.id = %s', (user_id,))

    def cleanup_anonymous(self) -> int:
        """Auth's own cleanup, when enabled: up to 100 anonymous users older than 30 days."""
        with self.transaction() as tx:
            return tx.conn.execute(
                "delete from users where id in (select id from users where created_at < now() - interval '30 days'"
                " and is_anonymous is true limit 100 for update skip locked)"
            ).rowcount


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
