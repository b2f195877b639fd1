"""Verify the provider's JWTs: ID tokens for the exchange, logout tokens for back-channel logout.

The algorithm is pinned before any key is looked at: ``alg: none`` and an HS256 token signed
with a public key (the RS/HS confusion) are refused by name, and a JWKS key verifies only with
the algorithm it was published for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from cometchat_auth.identity.config import SHARED, IdentityConfig
from cometchat_auth.identity.errors import Reason, TokenRejected
from cometchat_auth.identity.keys import ProviderKeys

#: OIDC Back-Channel Logout 1.0, section 2.4: the event a logout token carries.
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

_REASONS: tuple[tuple[type[PyJWTError], Reason], ...] = (
    (ExpiredSignatureError, Reason.EXPIRED),
    (ImmatureSignatureError, Reason.NOT_YET_VALID),
    (InvalidAudienceError, Reason.AUDIENCE_INVALID),
    (InvalidIssuerError, Reason.ISSUER_INVALID),
    (InvalidAlgorithmError, Reason.ALGORITHM_REFUSED),
    (InvalidKeyError, Reason.ALGORITHM_REFUSED),
    (InvalidSignatureError, Reason.SIGNATURE_INVALID),
    (MissingRequiredClaimError, Reason.CLAIM_INVALID),
    (InvalidIssuedAtError, Reason.CLAIM_INVALID),
    (DecodeError, Reason.MALFORMED),
)


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """What a valid logout token asks: end the provider session ``sid``, or every session of
    ``sub`` (or the one session of both)."""

    issuer: str
    jti: str
    issued_at: int
    sid: str | None
    sub: str | None


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience and times; raises ``TokenRejected``."""

    def __init__(self, config: IdentityConfig, keys: ProviderKeys | None) -> None:
        self.config = config
        self._keys = keys

    async def id_token(self, token: str) -> dict[str, Any]:
        """The claims of a valid ID token (or access token) from the provider."""
        claims = await self._decode(token, require=("exp", "iat"))
        if "events" in claims:
            raise TokenRejected(Reason.WRONG_TYPE, "a logout token is no ID token")
        return claims

    async def logout_token(self, token: str) -> LogoutRequest:
        """A valid logout token's request, checked as Back-Channel Logout 1.0 section 2.6 says;
        replay of its ``jti`` is the caller's to check (it needs the database)."""
        claims = await self._decode(token, require=("iat", "jti"))
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(
            events.get(BACKCHANNEL_LOGOUT_EVENT), dict
        ):
            raise TokenRejected(Reason.WRONG_TYPE, "no back-channel logout event")
        if "nonce" in claims:
            # An ID token has a nonce, a logout token must not: one cannot pass for the other.
            raise TokenRejected(Reason.WRONG_TYPE, "a logout token has no nonce")
        sid, sub = claims.get("sid"), claims.get("sub")
        named = [value for value in (sid, sub) if value is not None]
        if not named or not all(_text(value) for value in named):
            raise TokenRejected(Reason.CLAIM_INVALID, "sid or sub is needed")
        if not _text(claims["jti"]):
            raise TokenRejected(Reason.CLAIM_INVALID, "jti must be a string")
        issued_at = int(claims["iat"])
        if time.time() - issued_at > self.config.logout_max_age + self.config.leeway:
            raise TokenRejected(Reason.TOO_OLD)
        return LogoutRequest(self.config.issuer, claims["jti"], issued_at, sid, sub)

    async def _decode(self, token: str, *, require: tuple[str, ...]) -> dict[str, Any]:
        if len(token) > self.config.max_token_bytes:
            raise TokenRejected(Reason.TOO_LARGE)
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError:
            raise TokenRejected(Reason.MALFORMED) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.config.accepted:
            raise TokenRejected(Reason.ALGORITHM_REFUSED)
        key = await self._key(header, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway,
                options={"require": ["iss", "aud", *require], "verify_sub": False},
            )
        except PyJWTError as exc:
            raise TokenRejected(_reason(exc)) from None
        return claims

    async def _key(self, header: dict[str, Any], algorithm: str) -> PyJWK | str:
        if algorithm == SHARED:
            assert self.config.shared_secret is not None  # HS256 is accepted only with one
            return self.config.shared_secret
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected(Reason.MALFORMED)
        assert self._keys is not None  # asymmetric algorithms are accepted only with keys
        return await self._keys.key(kid, algorithm)


def token_verifier(config: IdentityConfig, http: httpx.AsyncClient) -> TokenVerifier:
    """A verifier for ``config``; the provider's keys are fetched with ``http`` if it has any."""
    keys = ProviderKeys(
        http,
        issuer=config.issuer,
        jwks_url=config.jwks_url,
        cache_ttl=config.jwks_cache_ttl,
        refetch_interval=config.jwks_refetch_interval,
    )
    return TokenVerifier(config, keys if config.keys_published else None)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _reason(exc: PyJWTError) -> Reason:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return Reason.MALFORMED
