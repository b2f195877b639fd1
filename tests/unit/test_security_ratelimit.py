"""Rate limits trigger at their threshold, per IP and per account, and lift after their window."""

from __future__ import annotations

from types import SimpleNamespace

import limits.aio.storage.memory
import pytest

from cometchat_auth.api.errors import answer_for
from cometchat_auth.errors import RateLimitExceeded, RateLimitUnavailable
from cometchat_auth.security.ratelimit import RateLimits, Rule, open_storage


class Clock:
    """Drives both the memory storage's windows and the Retry-After arithmetic."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(limits.aio.storage.memory, "time", SimpleNamespace(time=clock))
    return clock


def limiter(clock: Clock) -> RateLimits:
    rules = {"login": Rule(per_ip="3/minute", per_account="2/minute")}
    return RateLimits(rules, open_storage(None), clock=clock)


async def test_per_ip_limit_triggers_and_lifts(clock: Clock) -> None:
    limits_ = limiter(clock)
    for n in range(3):
        await limits_.hit("login", ip="198.51.100.1", account=f"user{n}@example.com")
    with pytest.raises(RateLimitExceeded) as refused:
        await limits_.hit("login", ip="198.51.100.1", account="other@example.com")
    assert refused.value.retry_after == 60
    # Another IP is not affected.
    await limits_.hit("login", ip="198.51.100.2", account="other@example.com")
    clock.now += 30
    with pytest.raises(RateLimitExceeded) as still:
        await limits_.hit("login", ip="198.51.100.1")
    assert still.value.retry_after == 30
    clock.now += 31
    await limits_.hit("login", ip="198.51.100.1")


async def test_an_ipv6_client_cannot_dodge_the_per_ip_limit_with_new_addresses(
    clock: Clock,
) -> None:
    limits_ = limiter(clock)
    for n in range(3):
        await limits_.hit("login", ip=f"2001:db8:1:2::{n + 1}")
    with pytest.raises(RateLimitExceeded):
        await limits_.hit("login", ip="2001:db8:1:2:ffff::9")  # the same /64
    await limits_.hit("login", ip="2001:db8:1:3::1")  # another /64 is another client


async def test_per_account_limit_holds_across_ips(clock: Clock) -> None:
    limits_ = limiter(clock)
    await limits_.hit("login", ip="198.51.100.1", account="ann@example.com")
    await limits_.hit("login", ip="198.51.100.2", account="ann@example.com")
    with pytest.raises(RateLimitExceeded):
        await limits_.hit("login", ip="198.51.100.3", account="ann@example.com")
    clock.now += 61
    await limits_.hit("login", ip="198.51.100.3", account="ann@example.com")


async def test_a_429_answer_has_retry_after_and_the_envelope(clock: Clock) -> None:
    answer = answer_for(RateLimitExceeded(retry_after=12)).response()
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "12"
    assert b'"code":"RATE_LIMITED"' in answer.body


async def test_an_unreachable_redis_refuses_instead_of_letting_through() -> None:
    # Port 1 on loopback: nothing listens. Limits never switch off silently.
    limits_ = RateLimits(
        {"login": Rule("3/minute", "3/minute")}, open_storage("redis://127.0.0.1:1/0")
    )
    try:
        with pytest.raises(RateLimitUnavailable):
            await limits_.hit("login", ip="198.51.100.1")
    finally:
        await limits_.aclose()
