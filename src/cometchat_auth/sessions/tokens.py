"""Access tokens (signed JWTs, short-lived) and refresh tokens (opaque, stored as hashes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from cometchat_auth.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS = "access"
#: Default ACCESS_TOKEN_LEEWAY: another server's clock a little ahead must not refuse its tokens.
CLOCK_SKEW = timedelta(seconds=30)


def new_refresh_token() -> tuple[str, str]:
    """A refresh token (256 random bits) and the hash the database keeps instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def successor(token: str, key: str) -> tuple[str, str]:
    """The refresh token that replaces ``token``, and its hash: an HMAC of it under the server
    key. Derived, never stored: a second presentation within the grace gets the same one."""
    mac = hmac.new(key.encode(), b"refresh-successor:" + token.encode(), hashlib.sha256)
    derived = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    return derived, hash_token(derived)


def hash_token(token: str) -> str:
    # SHA-256 is enough: the token is random, so there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str


class AccessTokens:
    """HS256 JWTs carrying the user and session ids; the session is still checked on every use."""

    def __init__(self, secret: str, ttl: int, leeway: timedelta = CLOCK_SKEW) -> None:
        self._secret = secret
        self.ttl = ttl
        self._leeway = leeway

    def successor(self, refresh_token: str) -> tuple[str, str]:
        """``successor`` under this server's key."""
        return successor(refresh_token, self._secret)

    def issue(self, user_id: str, session_id: str, now: datetime) -> str:
        claims = {
            "sub": user_id,
            "sid": session_id,
            "typ": ACCESS,
            # Unique per issue, so a refresh within the same second still yields a new token.
            "jti": secrets.token_urlsafe(12),
            "iat": now,
            # Whole seconds, rounded up: a token lives at least its TTL (rounded down, a 1 s
            # token could be dead on arrival).
            "exp": math.ceil(now.timestamp()) + self.ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def read(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "sid", "typ", "exp", "iat"]},
                leeway=self._leeway,
            )
        except jwt.PyJWTError:
            raise Unauthenticated from None
        if claims["typ"] != ACCESS or not all(
            isinstance(claims[name], str) for name in ("sub", "sid")
        ):
            raise Unauthenticated
        return AccessClaims(user_id=claims["sub"], session_id=claims["sid"])
