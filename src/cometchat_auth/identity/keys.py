"""The identity provider's signing keys (JWKS), fetched over HTTPS and cached.

An unknown ``kid`` fetches the set again, so a provider's key rotation works without a restart;
but at most once per ``refetch_interval``, so a flood of made-up ``kid``s costs the provider one
request, not one each. A failed fetch waits out the same interval: a provider that is down is
not hammered either. Stale keys keep working while the provider cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWTError

from cometchat_auth.identity.config import ASYMMETRIC_ALGORITHMS, check_url, discovery_url
from cometchat_auth.identity.errors import ProviderUnavailable, Reason, TokenRejected

log = logging.getLogger(__name__)

#: A key set or discovery document larger than this is not one.
MAX_DOCUMENT_BYTES = 512 * 1024


class _Unusable(Exception):
    """The provider answered, but not with what we need; its text is not passed on."""


class ProviderKeys:
    """The signing keys of one issuer: from ``jwks_url``, or as its discovery document says."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        jwks_url: str | None,
        cache_ttl: float,
        refetch_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._ttl = cache_ttl
        self._interval = refetch_interval
        self._clock = clock
        self._keys: dict[str | None, PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        #: How many times the key set was fetched: what a flood of bogus kids costs the provider.
        self.fetches = 0

    async def key(self, kid: str | None, algorithm: str) -> PyJWK:
        """The key ``kid`` names, for a token signed with ``algorithm``.

        A token without a ``kid`` is matched only when one key fits its algorithm: guessing
        among several would let any of them vouch for it.
        """
        if self._stale():
            await self._refresh(on_demand=False)
        found = self._find(kid, algorithm)
        if found is None and self._may_refetch():
            await self._refresh(on_demand=True)
            found = self._find(kid, algorithm)
        if found is None:
            raise TokenRejected(Reason.KEY_UNKNOWN)
        return found

    def _find(self, kid: str | None, algorithm: str) -> PyJWK | None:
        if kid is not None:
            return self._keys.get(kid)
        fitting = [key for key in self._keys.values() if key.algorithm_name == algorithm]
        return fitting[0] if len(fitting) == 1 else None

    def _stale(self) -> bool:
        now = self._clock()
        if self._fetched_at is None:
            return True
        return now - self._fetched_at >= self._ttl and self._may_refetch()

    def _may_refetch(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._interval

    async def _refresh(self, *, on_demand: bool) -> None:
        """Fetch the key set (one request at a time; others wait and use its result)."""
        attempted = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted:
                return  # someone fetched while we waited
            if not self._may_refetch():
                self._unavailable_unless_cached()
                return
            self._attempted_at = self._clock()
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, _Unusable) as exc:
                log.warning("identity provider keys not fetched: %s", exc)
                self._unavailable_unless_cached()
                return
            self._keys, self._fetched_at = keys, self._clock()
            if on_demand:
                log.info("identity provider keys fetched again for an unknown kid")

    def _unavailable_unless_cached(self) -> None:
        if self._fetched_at is None:
            assert self._attempted_at is not None
            wait = self._interval - (self._clock() - self._attempted_at)
            raise ProviderUnavailable(max(1, math.ceil(wait)))

    async def _fetch(self) -> dict[str | None, PyJWK]:
        self.fetches += 1
        url = self._jwks_url or await self._discover()
        document = await self._get_json(url)
        listed = document.get("keys")
        # Signing keys only; a shared-secret ("oct") key in a public set is nobody's secret.
        signing = [
            jwk
            for jwk in (listed if isinstance(listed, list) else [])
            if isinstance(jwk, dict) and jwk.get("use", "sig") == "sig" and jwk.get("kty") != "oct"
        ]
        try:
            keys = PyJWKSet(signing).keys
        except PyJWTError as exc:
            raise _Unusable(f"no usable signing keys ({type(exc).__name__})") from None
        return {key.key_id: key for key in keys if key.algorithm_name in ASYMMETRIC_ALGORITHMS}

    async def _discover(self) -> str:
        document = await self._get_json(discovery_url(self._issuer))
        if document.get("issuer") != self._issuer:
            # Discovery's own rule: the document must name exactly the issuer asked about.
            raise _Unusable("the discovery document names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise _Unusable("the discovery document has no jwks_uri")
        try:
            return check_url("jwks_uri", jwks_uri)
        except ValueError as exc:
            raise _Unusable(str(exc)) from None

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with self._http.stream("GET", url, headers={"Accept": "application/json"}) as answer:
            if answer.status_code != 200:
                raise _Unusable(f"HTTP {answer.status_code} from {url}")
            body = b""
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise _Unusable(f"the document at {url} is too large")
        try:
            document = json.loads(body)
        except ValueError:
            raise _Unusable(f"no JSON at {url}") from None
        if not isinstance(document, dict):
            raise _Unusable(f"no JSON object at {url}")
        return document
