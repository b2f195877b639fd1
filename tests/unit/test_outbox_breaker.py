"""The CometChat circuit breaker: outages open it, it fails fast, a probe closes it again."""

from __future__ import annotations

import asyncio

import pytest

from cometchat_auth.cometchat import RateLimited, Unavailable, UserNotFound
from cometchat_auth.outbox.breaker import CircuitBreaker, CircuitOpen, retry_after


async def down() -> None:
    raise Unavailable("CometChat did not answer")


async def fine() -> str:
    return "ok"


async def open_it(breaker: CircuitBreaker, failures: int) -> None:
    for _ in range(failures):
        with pytest.raises(Unavailable):
            await breaker.call(down)


async def test_outages_open_the_circuit_and_calls_then_fail_fast() -> None:
    breaker = CircuitBreaker(threshold=3, reset_after=30, deadline=5)
    await open_it(breaker, 3)
    assert await breaker.state() == "opened"
    called = False

    async def spy() -> None:
        nonlocal called
        called = True

    with pytest.raises(CircuitOpen) as opened:
        await breaker.call(spy)
    assert not called
    assert 0 < opened.value.retry_after <= 30
    assert retry_after(opened.value) >= 1
    # It is an Unavailable, so the API answers it as 503 COMETCHAT_UNAVAILABLE with Retry-After.
    assert isinstance(opened.value, Unavailable)


async def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=3, reset_after=30, deadline=5)
    await open_it(breaker, 2)
    assert await breaker.call(fine) == "ok"
    await open_it(breaker, 2)
    assert await breaker.state() == "closed"


async def test_answers_that_are_not_outages_do_not_count() -> None:
    breaker = CircuitBreaker(threshold=2, reset_after=30, deadline=5)

    async def missing() -> None:
        raise UserNotFound("no such user", code="ERR_UID_NOT_FOUND", status=404)

    for _ in range(5):
        with pytest.raises(UserNotFound):
            await breaker.call(missing)
    assert await breaker.state() == "closed"


async def test_rate_limits_and_slow_answers_count_as_outages() -> None:
    breaker = CircuitBreaker(threshold=2, reset_after=30, deadline=0.05)

    async def throttled() -> None:
        raise RateLimited("slow down", retry_after=7)

    async def hangs() -> None:
        await asyncio.Event().wait()

    with pytest.raises(RateLimited) as limited:
        await breaker.call(throttled)
    assert retry_after(limited.value) == 7
    with pytest.raises(Unavailable):  # the deadline cut it short
        await breaker.call(hangs)
    assert await breaker.state() == "opened"


async def test_after_the_reset_time_a_good_probe_closes_it_a_bad_one_reopens() -> None:
    breaker = CircuitBreaker(threshold=1, reset_after=0.05, deadline=5)
    await open_it(breaker, 1)
    await asyncio.sleep(0.1)
    await open_it(breaker, 1)  # the probe failed: open again
    assert await breaker.state() == "opened"
    with pytest.raises(CircuitOpen):
        await breaker.call(fine)
    await asyncio.sleep(0.1)
    assert await breaker.call(fine) == "ok"
    assert await breaker.state() == "closed"
