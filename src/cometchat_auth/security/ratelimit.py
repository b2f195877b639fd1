"""Rate limits per client IP and per account, counted by the ``limits`` library.

Memory storage by default (one process); Redis when ``REDIS_URL`` is set, so every server process
counts against the same limit. A storage failure refuses the request (503) instead of letting it
through: limits never switch off silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter

from cometchat_auth.accounts.emails import email_key
from cometchat_auth.errors import RateLimitExceeded, RateLimitUnavailable
from cometchat_auth.ops.metrics import RATE_LIMITED

log = logging.getLogger(__name__)

#: What is limited: sign-in, sign-up, token refresh, CometChat token minting, password reset.
ACTIONS = ("login", "register", "refresh", "mint", "reset")


@dataclass(frozen=True, slots=True)
class Rule:
    """One action's two limits in ``limits`` notation: ``"10/minute"``, ``"150 per 5 minutes"``."""

    per_ip: str
    per_account: str


def ip_limit_key(ip: str) -> str:
    """What a per-IP limit counts: an IPv6 client by its /64, which one host commonly holds
    whole (a fresh address per request would dodge the limit); an IPv4-mapped one as IPv4."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if not isinstance(address, ipaddress.IPv6Address):
        return ip
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def email_account(email: str) -> str:
    """The account key of a typed address: ``Ann@Example.com`` and ``ann@example.com`` are one."""
    try:
        return email_key(email)
    except ValueError:
        return email.casefold()  # not an address: still limited, under what was typed


@contextlib.asynccontextmanager
async def _storage_errors() -> AsyncIterator[None]:
    """A storage failure refuses (503): limits never switch off silently."""
    try:
        yield
    except Exception as exc:
        log.error("rate-limit storage failed: %s", type(exc).__name__)
        raise RateLimitUnavailable from None


def open_storage(redis_url: str | None) -> Storage:
    """Redis (shared by every process) when a URL is given, else this process's memory."""
    if not redis_url:
        return MemoryStorage()
    # Short socket timeouts: a stuck Redis answers 503 quickly instead of hanging the request.
    return RedisStorage(
        f"async+{redis_url}",
        implementation="redispy",
        wrap_exceptions=True,
        socket_timeout=2,
        socket_connect_timeout=2,
    )


class RateLimits:
    """``await limits.hit("login", ip=..., account=...)`` before the work; raises past a limit."""

    def __init__(
        self,
        rules: Mapping[str, Rule],
        storage: Storage,
        *,
        key_prefix: str = "cometchat-auth",
        clock: Callable[[], float] = time.time,
        quotas: Mapping[str, str] | None = None,
    ) -> None:
        self._rules: dict[str, tuple[RateLimitItem, RateLimitItem]] = {
            action: (parse(rule.per_ip), parse(rule.per_account)) for action, rule in rules.items()
        }
        self._quotas = {name: parse(limit) for name, limit in (quotas or {}).items()}
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._prefix = key_prefix
        self._clock = clock

    async def hit(self, action: str, *, ip: str | None = None, account: str | None = None) -> None:
        """Count one attempt at ``action`` for this IP and this account (either may be None)."""
        per_ip, per_account = self._rules[action]
        network = ip_limit_key(ip) if ip is not None else None
        for scope, item, key in (("ip", per_ip, network), ("account", per_account, account)):
            if key is None:
                continue
            ident = self._ident(action, scope, key)
            async with _storage_errors():
                if await self._limiter.hit(item, *ident):
                    continue
                reset, _ = await self._limiter.get_window_stats(item, *ident)
            RATE_LIMITED.labels(action).inc()
            raise RateLimitExceeded(retry_after=max(1, math.ceil(reset - self._clock())))

    @property
    def shared(self) -> bool:
        """Whether the counts live in Redis (then readiness depends on it)."""
        return isinstance(self._storage, RedisStorage)

    async def storage_answers(self) -> bool:
        """Whether the storage answers now (Redis: a PING)."""
        try:
            return bool(await self._storage.check())
        except Exception:
            return False

    async def take(self, quota: str, key: str) -> bool:
        """Count one against ``quota`` for ``key`` (an address, say): False once it is used up.

        For work done after the answer, where there is no one to tell ``429``.
        """
        async with _storage_errors():
            return await self._limiter.hit(self._quotas[quota], *self._ident(quota, "key", key))

    def _ident(self, action: str, scope: str, key: str) -> tuple[str, ...]:
        # Hashed: Redis never holds an email address.
        return (self._prefix, action, scope, hashlib.sha256(key.encode()).hexdigest()[:32])

    async def aclose(self) -> None:
        """Close the Redis connections (memory storage has none)."""
        if isinstance(self._storage, RedisStorage) and isinstance(
            bridge := self._storage.bridge, RedispyBridge
        ):
            await bridge.storage.aclose()
