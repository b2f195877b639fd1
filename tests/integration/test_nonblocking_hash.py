"""Password hashing runs off the event loop: a probe is answered while logins are hashing; and
never more hashes at once than cores (each holds 19 MiB while it runs)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from anyio import to_thread

from cometchat_auth.accounts.passwords import Passwords
from tests.support.auth_server import PASSWORD, new_email

Server = Callable[..., AbstractContextManager[str]]
OWASP = {"argon2_memory_cost": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1}
LOGINS = 10


class OverlapWatch:
    """Counts verifications in progress (calling the real one) and flags when several overlap.

    Overlap can only happen when hashing runs outside the event loop's thread.
    """

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.overlapping = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            if self.running >= self.wanted:
                self.overlapping.set()

    def leave(self) -> None:
        with self.lock:
            self.running -= 1


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> OverlapWatch:
    # Two at once happens only outside the loop's thread (this machine has two cores).
    watch = OverlapWatch(wanted=2)
    real = Passwords._verify

    def verify(self: Passwords, encoded: str | None, password: str) -> bool:
        watch.enter()
        try:
            return real(self, encoded, password)
        finally:
            watch.leave()

    monkeypatch.setattr(Passwords, "_verify", verify)
    return watch


async def test_healthz_answers_before_the_last_of_ten_concurrent_logins(
    make_server: Server, watch: OverlapWatch
) -> None:
    email = new_email()
    with make_server(**OWASP) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            registered = await client.post(
                "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"}
            )
            assert registered.status_code == 201
            finished: list[str] = []

            async def login() -> None:
                answer = await client.post(
                    "/auth/login", json={"email": email, "password": PASSWORD}
                )
                assert answer.status_code == 200
                finished.append("login")

            async def probe() -> None:
                # Ask while several logins hash at once (never true if hashing blocked the loop).
                assert await to_thread.run_sync(watch.overlapping.wait, 30), (
                    "hashes never overlapped"
                )
                answer = await client.get("/healthz")
                assert answer.status_code == 200
                finished.append("healthz")

            await asyncio.gather(*(login() for _ in range(LOGINS)), probe())
    assert len(finished) == LOGINS + 1
    assert finished[-1] == "login", finished
    assert watch.peak <= len(os.sched_getaffinity(0))


async def test_hashes_in_flight_are_limited(watch: OverlapWatch) -> None:
    passwords = Passwords(max_parallel=1)  # OWASP cost: long enough to overlap if allowed
    hashed = await passwords.hash(PASSWORD)
    results = await asyncio.gather(*(passwords.verify(hashed, PASSWORD) for _ in range(6)))
    assert results == [(True, None)] * 6
    assert watch.peak == 1
