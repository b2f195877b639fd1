"""A small OpenID provider made in the test: discovery, a JWKS with keys generated here (RSA,
EC P-256, Ed25519), key rotation, an outage switch, and signed ID and logout tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import serve

AUDIENCE = "chat-app"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
Kind = Literal["rsa", "ec", "ed25519"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: PrivateKey

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        jwk: dict[str, Any]
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def new_key(kind: Kind = "rsa") -> SigningKey:
    kid = f"{kind}-{uuid.uuid4().hex[:8]}"
    if kind == "rsa":
        return SigningKey(kid, "RS256", rsa.generate_private_key(65537, 2048))
    if kind == "ec":
        return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))
    return SigningKey(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


class Provider:
    """Publishes ``published`` keys; ``down`` makes discovery and JWKS answer 503."""

    def __init__(self) -> None:
        self.issuer = ""
        self.published: list[SigningKey] = [new_key("rsa"), new_key("ec"), new_key("ed25519")]
        self.down = False
        self.jwks_requests = 0

    @property
    def key(self) -> SigningKey:
        return self.published[0]

    def rotate(self, kind: Kind = "rsa") -> SigningKey:
        """A new key, published first; the old ones stay published (as providers do)."""
        fresh = new_key(kind)
        self.published.insert(0, fresh)
        return fresh

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "jwks_uri": f"{self.issuer}/jwks",
                    "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
                    "backchannel_logout_supported": True,
                    "backchannel_logout_session_supported": True,
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_requests += 1
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            return JSONResponse({"keys": [key.jwk() for key in self.published]})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
            ]
        )

    def sign(self, claims: dict[str, Any], key: SigningKey | None = None, **headers: Any) -> str:
        key = key or self.key
        return jwt.encode(
            claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid, **headers}
        )

    def id_claims(self, sub: str = "user-1", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": sub,
            "sid": f"sid-{secrets.token_hex(6)}",
            "iat": now,
            "exp": now + 300,
            "nonce": "n-0S6_WzA2Mj",
            "jti": uuid.uuid4().hex,
            "name": "Ann Example",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def id_token(self, sub: str = "user-1", *, key: SigningKey | None = None, **claims: Any) -> str:
        return self.sign(self.id_claims(sub, **claims), key)

    def logout_token(
        self, *, key: SigningKey | None = None, typ: str = "logout+jwt", **overrides: Any
    ) -> str:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": int(time.time()),
            "jti": uuid.uuid4().hex,
            "events": {LOGOUT_EVENT: {}},
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return self.sign(claims, key, typ=typ)


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    """A provider served over real HTTP on a loopback port; its issuer is its base URL."""
    provider = Provider()
    with serve(provider.app()) as url:
        provider.issuer = url
        yield provider
