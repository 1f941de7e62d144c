"""Verifying Supabase access tokens: HS256 with the project's JWT secret (legacy projects) and/or
ES256/RS256 with the keys published at the project's JWKS URL, picked by `kid`.

The algorithm is decided by which key verifies, never by the token alone: HS256 only with the
secret, ES256/RS256 only with a JWKS key of that type, `none` never.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass

import jwt

from .errors import ApiError

log = logging.getLogger("nura_users.tokens")

AUDIENCE = "authenticated"
ASYMMETRIC = ("ES256", "RS256")
MAX_HEADER_CHARS = 1024  # a real header is under 150
# A browser sends the same token for up to an hour, and verifying it took a third of a request's
# time under load (PyJWT checks the token character by character in Python): a verified token is
# remembered (never a rejected one) until it expires, for 5 minutes at most, by its digest.
VERIFIED_TOKENS_KEPT = 16384
VERIFIED_TOKEN_SECONDS = 300


@dataclass(frozen=True)
class Caller:
    """Who a request is from: the token's sub, and its claims as request.jwt.claims takes them."""

    user_id: str
    claims_json: str


class SigningKeys:
    """The project's JWKS, by kid. Refetched when 10 minutes old or for an unknown kid, at most once
    a minute, by one thread while the others go on with the keys they have; when the endpoint is
    down, the last keys fetched stay in use."""

    LIFESPAN_SECONDS = 600
    COOLDOWN_SECONDS = 60
    FETCH_TIMEOUT_SECONDS = 5

    def __init__(self, url: str):
        self.url = url
        self.keys: dict[str, jwt.PyJWK] = {}
        self.fetched_at = float("-inf")
        self.attempted_at = float("-inf")
        self._fetching = threading.Lock()

    def get(self, kid: str) -> jwt.PyJWK | None:
        key = self.keys.get(kid)
        if key is None or time.monotonic() - self.fetched_at > self.LIFESPAN_SECONDS:
            # with no keys at all, wait for the fetch under way rather than refuse a valid token
            self._refresh(wait=not self.keys)
            key = self.keys.get(kid)
        return key

    def _refresh(self, wait: bool) -> None:
        if not self._fetching.acquire(blocking=wait):
            return
        try:
            if time.monotonic() - self.attempted_at < self.COOLDOWN_SECONDS:
                return
            self.attempted_at = time.monotonic()
            with urllib.request.urlopen(self.url, timeout=self.FETCH_TIMEOUT_SECONDS) as response:
                published = json.load(response)
            if not isinstance(published, dict):
                raise ValueError("the endpoint did not return a JSON object")
            found = jwt.PyJWKSet.from_dict(published)
            self.keys = {k.key_id: k for k in found.keys if k.key_id and k.public_key_use in ("sig", None)}
            self.fetched_at = time.monotonic()
        except (OSError, ValueError, jwt.PyJWTError) as e:
            log.warning(
                "fetching the signing keys from %s failed (keeping %d known keys): %s", self.url, len(self.keys), e
            )
        finally:
            self._fetching.release()


class TokenVerifier:
    def __init__(self, secret: str | None, jwks_url: str | None, issuer: str | None):
        self.secret = secret
        self.issuer = issuer
        self.jwks = SigningKeys(jwks_url) if jwks_url else None
        self._verified: dict[bytes, tuple[Caller, float]] = {}
        self._verified_lock = threading.Lock()

    def caller(self, authorization: str | None) -> Caller:
        """Who sent an `Authorization: Bearer` header; ApiError 401 unless its token verifies."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _invalid("send Authorization: Bearer <Supabase access token>")
        token = token.strip()
        digest = hashlib.blake2b(token.encode(errors="surrogatepass"), digest_size=16).digest()
        now = time.time()
        if (known := self._verified.get(digest)) and known[1] > now:
            return known[0]
        claims = self._verify(token)
        caller = Caller(claims["sub"], json.dumps(claims))
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[digest] = (caller, min(int(claims["exp"]), now + VERIFIED_TOKEN_SECONDS))
        return caller

    def _verify(self, token: str) -> dict:
        key, algorithm = self._key(_header(token))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.InvalidTokenError as e:
            raise _invalid(f"invalid token: {e}") from None
        if not _is_uuid(claims["sub"]):
            raise _invalid("the token's sub is not a user id")
        return claims

    def _key(self, header: dict):
        algorithm = header.get("alg")
        if algorithm == "HS256" and self.secret:
            return self.secret, algorithm
        if algorithm in ASYMMETRIC and self.jwks:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise _invalid("the token names no key (kid)")
            key = self.jwks.get(kid)
            if key is None:
                if not self.jwks.keys:
                    raise ApiError(
                        503,
                        "invalid_token",
                        "the token cannot be verified now: the project's signing keys cannot be fetched; retry shortly",
                        {"Retry-After": "5"},
                    )
                raise _invalid("the token's key (kid) is not among the project's signing keys")
            if key.algorithm_name != algorithm:
                raise _invalid(f"the token's alg {algorithm} does not match its key's {key.algorithm_name}")
            return key, algorithm
        accepted = (["HS256"] if self.secret else []) + (list(ASYMMETRIC) if self.jwks else [])
        raise _invalid(f"tokens signed with {str(algorithm)[:20]!r} are not accepted (accepted: {', '.join(accepted)})")


def _header(token: str) -> dict:
    """The token's header, to pick the key with (jwt.decode then checks the whole token)."""
    segment = token.partition(".")[0]
    try:
        if len(segment) > MAX_HEADER_CHARS:
            raise ValueError("too long")
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise _invalid("the token is not a JWT") from None
    if not isinstance(header, dict):
        raise _invalid("the token is not a JWT")
    return header


def _invalid(message: str) -> ApiError:
    return ApiError.of("invalid_token", message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _is_uuid(value) -> bool:
    """A user id as Supabase writes it: the canonical hyphenated form."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (TypeError, ValueError, AttributeError):
        return False
