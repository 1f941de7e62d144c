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
import threading
import time
import uuid
from dataclasses import dataclass

import jwt

from .errors import ApiError

AUDIENCE = "authenticated"
ASYMMETRIC = ("ES256", "RS256")
# Keys are cached for 10 minutes; an unknown kid refreshes them, at most once a minute.
JWKS_LIFESPAN_SECONDS = 600
JWKS_REFRESH_COOLDOWN_SECONDS = 60
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


class TokenVerifier:
    def __init__(self, secret: str | None, jwks_url: str | None, issuer: str | None):
        self.secret = secret
        self.issuer = issuer
        self.jwks = jwt.PyJWKClient(jwks_url, lifespan=JWKS_LIFESPAN_SECONDS, timeout=5,
                                    cooldown_duration=JWKS_REFRESH_COOLDOWN_SECONDS) if jwks_url else None
        self._verified: dict[bytes, tuple[Caller, float]] = {}
        self._verified_lock = threading.Lock()

    def caller(self, authorization: str | None) -> Caller:
        """Who sent an `Authorization: Bearer` header; ApiError 401 unless its token verifies."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _invalid("send Authorization: Bearer <Supabase access token>")
        token = token.strip()
        digest = hashlib.blake2b(token.encode(), digest_size=16).digest()
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
        try:
            key, algorithm = self._key(_header(token))
            claims = jwt.decode(token, key, algorithms=[algorithm], audience=AUDIENCE, issuer=self.issuer,
                                options={"require": ["exp", "sub", "aud"]})
        except jwt.PyJWKClientConnectionError:
            raise ApiError(503, "invalid_token", "the signing keys cannot be fetched right now, retry shortly",
                           {"Retry-After": "5"}) from None
        except jwt.PyJWKClientError:
            raise _invalid("the token's key (kid) is not among the project's signing keys") from None
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
            key = self.jwks.get_signing_key(kid)
            if key.algorithm_name != algorithm:
                raise _invalid(f"the token's alg {algorithm} does not match its key's {key.algorithm_name}")
            return key, algorithm
        accepted = (["HS256"] if self.secret else []) + (list(ASYMMETRIC) if self.jwks else [])
        raise _invalid(f"tokens signed with {algorithm!r} are not accepted (accepted: {', '.join(accepted)})")


def _header(token: str) -> dict:
    """The token's header, to pick the key with (jwt.decode then checks the whole token)."""
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
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
