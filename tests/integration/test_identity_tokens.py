"""Verifying a provider's tokens against a real OpenID provider on a loopback port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from cometchat_auth.identity import (
    IdentityConfig,
    ProviderKeys,
    ProviderUnavailable,
    Reason,
    TokenRejected,
    TokenVerifier,
    replay,
    token_verifier,
)
from cometchat_auth.identity.config import IdentityConfigError
from cometchat_auth.store import open_database
from tests.support.oidc import AUDIENCE, Provider, new_key, oidc_provider

SECRET = "a-supabase-style-jwt-secret-of-32-bytes-or-more"

Make = Callable[..., TokenVerifier]


@pytest.fixture
def provider() -> Iterator[Provider]:
    with oidc_provider() as served:
        yield served


@pytest.fixture
async def make_verifier(provider: Provider) -> AsyncIterator[Make]:
    async with httpx.AsyncClient(timeout=5) as http:

        def make(**overrides: Any) -> TokenVerifier:
            values: dict[str, Any] = {"issuer": provider.issuer, "audience": AUDIENCE}
            values.update(overrides)
            return token_verifier(IdentityConfig(**values), http)

        yield make


@pytest.fixture
def verifier(make_verifier: Make) -> TokenVerifier:
    return make_verifier()


async def refused(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(TokenRejected) as caught:
        await verifier.id_token(token)
    assert not token or token not in str(caught.value)
    return caught.value.reason


def _b64(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("index", [0, 1, 2], ids=["RS256", "ES256", "EdDSA"])
async def test_each_default_algorithm_verifies(
    provider: Provider, verifier: TokenVerifier, index: int
) -> None:
    key = provider.published[index]
    claims = await verifier.id_token(provider.id_token("ann", key=key))
    assert claims["sub"] == "ann"
    assert claims["aud"] == AUDIENCE


async def test_time_audience_and_issuer_are_checked(
    provider: Provider, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    cases = {
        Reason.EXPIRED: provider.id_token(exp=now - 120, iat=now - 600),
        Reason.NOT_YET_VALID: provider.id_token(nbf=now + 600),
        # An iat in the future is a token from a clock far ahead, not one to trust yet.
        Reason.AUDIENCE_INVALID: provider.id_token(aud="another-app"),
        Reason.ISSUER_INVALID: provider.id_token(iss="https://evil.example"),
    }
    for reason, token in cases.items():
        assert await refused(verifier, token) == reason
    assert await refused(verifier, provider.id_token(iat=now + 600)) == Reason.NOT_YET_VALID
    assert await refused(verifier, provider.id_token(exp=None)) == Reason.CLAIM_INVALID


async def test_alg_none_and_hs_rs_confusion_are_refused(
    provider: Provider, verifier: TokenVerifier
) -> None:
    claims = provider.id_claims()
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert await refused(verifier, unsigned) == Reason.ALGORITHM_REFUSED
    # The classic confusion: HS256 keyed with the provider's public key, which anyone has.
    public_pem = (
        provider.key.private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    forged = _hs256(claims, public_pem, kid=provider.key.kid)
    assert await refused(verifier, forged) == Reason.ALGORITHM_REFUSED
    # An RSA key's kid under an ES256 header: the key verifies only with its own algorithm.
    ec_key = provider.published[1]
    mixed = jwt.encode(claims, ec_key.private, algorithm="ES256", headers={"kid": provider.key.kid})
    assert await refused(verifier, mixed) == Reason.ALGORITHM_REFUSED


def _hs256(claims: dict[str, Any], secret: str, **headers: Any) -> str:
    """HS256 by hand: PyJWT rightly refuses to use a PEM key as an HMAC secret."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', **headers})}.{_b64(claims)}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


async def test_forged_malformed_and_oversized_tokens(
    provider: Provider, verifier: TokenVerifier
) -> None:
    stranger = new_key("rsa")
    impostor = jwt.encode(
        provider.id_claims(),
        stranger.private,
        algorithm="RS256",
        headers={"kid": provider.key.kid},
    )
    assert await refused(verifier, impostor) == Reason.SIGNATURE_INVALID
    for garbage in ("", "abc", "a.b.c", "\u00e9.\u00e9.\u00e9", "e30.e30."):
        assert await refused(verifier, garbage) in {Reason.MALFORMED, Reason.ALGORITHM_REFUSED}
    huge = provider.id_token(padding="x" * 10_000)
    assert await refused(verifier, huge) == Reason.TOO_LARGE


async def test_a_flood_of_unknown_kids_costs_the_provider_one_request(
    provider: Provider,
) -> None:
    now = [0.0]  # the keys' clock, moved by hand: no race against a loaded machine
    config = IdentityConfig(issuer=provider.issuer, audience=AUDIENCE)
    async with httpx.AsyncClient(timeout=5) as http:
        keys = ProviderKeys(
            http,
            issuer=config.issuer,
            jwks_url=None,
            cache_ttl=600,
            refetch_interval=30,
            clock=lambda: now[0],
        )
        verifier = TokenVerifier(config, keys)
        await verifier.id_token(provider.id_token())
        bogus = [new_key("rsa") for _ in range(3)]
        tokens = [provider.id_token(key=bogus[i % 3]) for i in range(60)]
        # Right after a fetch an unknown kid is refused without asking the provider at all.
        assert await refused(verifier, tokens[0]) == Reason.KEY_UNKNOWN
        assert provider.jwks_requests == 1
        now[0] += 30
        reasons = await asyncio.gather(*(refused(verifier, token) for token in tokens))
        assert set(reasons) == {Reason.KEY_UNKNOWN}
        assert provider.jwks_requests == 2


async def test_key_rotation_is_followed_without_a_restart(
    provider: Provider, make_verifier: Make
) -> None:
    verifier = make_verifier(jwks_refetch_interval=0.2)
    await verifier.id_token(provider.id_token())
    fresh = provider.rotate("ec")
    await asyncio.sleep(0.25)
    claims = await verifier.id_token(provider.id_token("bob", key=fresh))
    assert claims["sub"] == "bob"
    # The retired key goes from the set: its tokens fail once the set is fetched again.
    retired = provider.published.pop()
    await asyncio.sleep(0.25)
    await verifier.id_token(provider.id_token(key=provider.rotate("rsa")))
    assert await refused(verifier, provider.id_token(key=retired)) == Reason.KEY_UNKNOWN


async def test_a_provider_that_is_down_is_a_retry_not_a_refusal(
    provider: Provider, make_verifier: Make
) -> None:
    provider.down = True
    verifier = make_verifier(jwks_refetch_interval=30)
    with pytest.raises(ProviderUnavailable) as caught:
        await verifier.id_token(provider.id_token())
    assert 1 <= caught.value.retry_after <= 30
    # Within the interval the provider is not asked again.
    requests = provider.jwks_requests
    with pytest.raises(ProviderUnavailable):
        await verifier.id_token(provider.id_token())
    assert provider.jwks_requests == requests


async def test_cached_keys_outlive_an_outage(provider: Provider, make_verifier: Make) -> None:
    verifier = make_verifier(jwks_cache_ttl=0.1, jwks_refetch_interval=0.1)
    await verifier.id_token(provider.id_token())
    provider.down = True
    await asyncio.sleep(0.2)
    assert (await verifier.id_token(provider.id_token("cid")))["sub"] == "cid"


async def test_a_discovery_document_for_another_issuer_is_not_trusted(
    provider: Provider, make_verifier: Make
) -> None:
    # The same provider under another name for itself: discovery must name the issuer asked for.
    verifier = make_verifier(issuer=provider.issuer + "/")
    with pytest.raises(ProviderUnavailable):
        await verifier.id_token(provider.id_token(iss=provider.issuer + "/"))


async def test_jwks_url_without_discovery(provider: Provider, make_verifier: Make) -> None:
    verifier = make_verifier(discover=False, jwks_url=f"{provider.issuer}/jwks")
    assert (await verifier.id_token(provider.id_token("dan")))["sub"] == "dan"


async def test_shared_secret_hs256_as_supabase_signs(
    provider: Provider, make_verifier: Make
) -> None:
    claims = provider.id_claims("eve", aud="authenticated")
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    alone = make_verifier(discover=False, audience="authenticated", shared_secret=SECRET)
    assert (await alone.id_token(token))["sub"] == "eve"
    assert await refused(alone, provider.id_token(aud="authenticated")) == (
        Reason.ALGORITHM_REFUSED
    )
    wrong = jwt.encode(claims, SECRET + "-but-not-this-one", algorithm="HS256")
    assert await refused(alone, wrong) == Reason.SIGNATURE_INVALID
    # Without the secret HS256 is refused by name, before any key is tried.
    keyed = make_verifier(audience="authenticated")
    assert await refused(keyed, token) == Reason.ALGORITHM_REFUSED


def test_configurations_that_must_not_start(provider: Provider) -> None:
    bad: list[dict[str, Any]] = [
        {"audience": ""},
        {"algorithms": ("RS256", "none")},
        {"algorithms": ("HS256",)},
        {"shared_secret": "short"},
        {"issuer": "http://idp.example.com"},
        {"discover": False},
        {"uid_prefix": "Idp:"},
        {"beside_accounts": True},
        {"beside_accounts": True, "uid_prefix": "abc0"},
    ]
    for overrides in bad:
        values: dict[str, Any] = {"issuer": provider.issuer, "audience": AUDIENCE, **overrides}
        with pytest.raises(IdentityConfigError):
            IdentityConfig(**values)
    beside = IdentityConfig(
        issuer=provider.issuer, audience=AUDIENCE, beside_accounts=True, uid_prefix="idp_"
    )
    assert beside.accepted == ("RS256", "ES256", "EdDSA")


async def test_logout_tokens_are_checked_as_the_spec_says(
    provider: Provider, verifier: TokenVerifier
) -> None:
    request = await verifier.logout_token(provider.logout_token(sid="s-1"))
    assert (request.sid, request.sub, request.issuer) == ("s-1", None, provider.issuer)
    both = await verifier.logout_token(provider.logout_token(sid="s-2", sub="ann"))
    assert (both.sid, both.sub) == ("s-2", "ann")
    cases = {
        "no sid nor sub": provider.logout_token(),
        "a nonce": provider.logout_token(sub="ann", nonce="n"),
        "no event": provider.logout_token(sub="ann", events={"other": {}}),
        "an event that is no object": provider.logout_token(
            sub="ann", events={"http://schemas.openid.net/event/backchannel-logout": "yes"}
        ),
        "no jti": provider.logout_token(sub="ann", jti=None),
        "no iat": provider.logout_token(sub="ann", iat=None),
        "an old iat": provider.logout_token(sub="ann", iat=int(time.time()) - 3600),
        "another audience": provider.logout_token(sub="ann", aud="another-app"),
        "a sid that is no string": provider.logout_token(sid=42),
    }
    accepted = []
    for case, token in cases.items():
        try:
            await verifier.logout_token(token)
        except TokenRejected:
            continue
        accepted.append(case)
    assert accepted == []
    # An ID token cannot pass for a logout token, nor the other way round.
    with pytest.raises(TokenRejected) as caught:
        await verifier.logout_token(provider.id_token())
    assert caught.value.reason == Reason.WRONG_TYPE
    with pytest.raises(TokenRejected) as caught:
        await verifier.id_token(provider.logout_token(sub="ann", exp=int(time.time()) + 60))
    assert caught.value.reason == Reason.WRONG_TYPE


async def test_a_logout_tokens_jti_is_spent_once_across_processes(
    provider: Provider, verifier: TokenVerifier, database_url: str
) -> None:
    token = provider.logout_token(sub="ann")
    request = await verifier.logout_token(token)
    # Two engines on one database stand for two server processes.
    async with open_database(database_url) as first, open_database(database_url) as second:
        async with first.sessionmaker() as db:
            await replay.spend(db, request, timedelta(minutes=5))
            await db.commit()
        async with second.sessionmaker() as db:
            with pytest.raises(TokenRejected) as caught:
                await replay.spend(db, await verifier.logout_token(token), timedelta(minutes=5))
            assert caught.value.reason == Reason.REPLAYED
            # Another token of the same issuer is not affected; a swept jti is forgotten.
            other = await verifier.logout_token(provider.logout_token(sub="ann"))
            await replay.spend(db, other, timedelta(seconds=-1))
            await replay.sweep(db)
            await replay.spend(db, other, timedelta(minutes=5))
            await db.commit()
