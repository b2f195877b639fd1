"""The identity provider's settings as plain values, checked once at start."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Asymmetric algorithms a provider's JWKS may sign with; HS256 only with a shared secret.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
ASYMMETRIC_ALGORITHMS = ASYMMETRIC | {"EdDSA"}
SHARED = "HS256"
DEFAULT_ALGORITHMS = ("RS256", "ES256", "EdDSA")
#: An HS256 secret shorter than its hash can be guessed offline from one token.
MIN_SECRET_BYTES = 32
#: Room for the hashed form (``h_`` and 32 characters) within CometChat's 100.
MAX_PREFIX_LENGTH = 40
_PREFIX = re.compile(r"[a-z0-9_-]*")
_ACCOUNT_ID = re.compile(r"[0-9a-f]*")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class IdentityConfigError(ValueError):
    """Settings that must not start the exchange."""


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 1.0: the issuer's ``/.well-known/openid-configuration``."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def check_url(name: str, url: str) -> str:
    """Keys come over TLS; plain HTTP only on this machine (a provider made in a test)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    raise IdentityConfigError(f"{name} must be an https:// URL (http:// only on loopback)")


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """Which tokens the exchange accepts, and how their claims become a CometChat user."""

    issuer: str
    audience: str
    #: OIDC discovery at ``issuer`` finds the JWKS unless ``jwks_url`` says where it is.
    discover: bool = True
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    shared_secret: str | None = field(default=None, repr=False)
    uid_claim: str = "sub"
    uid_prefix: str = ""
    name_claim: str = "name"
    avatar_claim: str = "picture"
    #: The claim that names the provider's session (Supabase: ``session_id``).
    session_claim: str = "sid"
    leeway: int = 30
    max_token_bytes: int = 8192
    jwks_cache_ttl: float = 600.0
    jwks_refetch_interval: float = 30.0
    #: A logout token issued longer ago than this is refused (and its jti can be forgotten).
    logout_max_age: int = 300
    #: Password accounts run beside the exchange: their uids must stay out of reach.
    beside_accounts: bool = False

    def __post_init__(self) -> None:
        if not self.audience:
            raise IdentityConfigError("JWT_AUDIENCE is required: a token for another app must fail")
        if self.discover:
            check_url("OIDC_ISSUER", self.issuer)
        if self.jwks_url:
            check_url("JWKS_URL", self.jwks_url)
        refused = set(self.algorithms) - ASYMMETRIC_ALGORITHMS - {SHARED}
        if refused:
            raise IdentityConfigError(f"JWT_ALGORITHMS has unsupported {sorted(refused)}")
        if SHARED in self.algorithms and not self.shared_secret:
            raise IdentityConfigError("HS256 is allowed only with JWT_SHARED_SECRET")
        if self.shared_secret is not None and len(self.shared_secret.encode()) < MIN_SECRET_BYTES:
            raise IdentityConfigError(f"JWT_SHARED_SECRET needs at least {MIN_SECRET_BYTES} bytes")
        if not self.accepted:
            raise IdentityConfigError("no algorithm to verify with: set OIDC_ISSUER or JWKS_URL")
        if not _PREFIX.fullmatch(self.uid_prefix) or len(self.uid_prefix) > MAX_PREFIX_LENGTH:
            raise IdentityConfigError(
                f"UID_PREFIX may hold only a-z, 0-9, '_' and '-', at most {MAX_PREFIX_LENGTH}"
            )
        if self.beside_accounts and _ACCOUNT_ID.fullmatch(self.uid_prefix):
            # Account ids are 32 hex digits: a provider's sub must never land on one.
            raise IdentityConfigError(
                "beside password accounts, UID_PREFIX must hold a character other than 0-9 and"
                " a-f (for example 'idp_'), so no provider user can take an account's uid"
            )

    @property
    def keys_published(self) -> bool:
        return self.discover or self.jwks_url is not None

    @property
    def accepted(self) -> tuple[str, ...]:
        """The algorithms a token may name: the asymmetric ones when the provider publishes
        keys, HS256 when there is a shared secret; never ``none``."""
        published = self.algorithms if self.keys_published else ()
        shared = (SHARED,) if self.shared_secret else ()
        return tuple(alg for alg in published if alg != SHARED) + shared
