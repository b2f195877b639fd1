"""Per-account lock-out on a real database: triggers at its threshold, backs off, lifts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts.lockout import Lockout, LockoutRow, Verdict
from cometchat_auth.store import Database, open_database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with open_database(database_url) as db:
        yield db


@pytest.fixture
def user_id() -> str:
    """An address's email key: known or unknown, it is counted the same way."""
    return f"{uuid.uuid4().hex}@example.com"


async def attempt(database: Database, lockout: Lockout, uid: str, *, ok: bool) -> Verdict:
    async with database.sessionmaker() as db:
        verdict = await lockout.attempt(db, uid, password_ok=ok)
        await db.commit()
    return verdict


async def test_locks_at_the_threshold_and_lifts_after_the_wait(
    database: Database, user_id: str
) -> None:
    clock = Clock()
    lockout = Lockout(threshold=5, base_delay=timedelta(seconds=30), clock=clock)
    for _ in range(4):
        assert await attempt(database, lockout, user_id, ok=False) == Verdict(allowed=False)
    assert await attempt(database, lockout, user_id, ok=True) == Verdict(allowed=True)  # resets
    for _ in range(4):
        await attempt(database, lockout, user_id, ok=False)
    fifth = await attempt(database, lockout, user_id, ok=False)
    assert fifth == Verdict(allowed=False, locked_for=timedelta(seconds=30))
    # The right password during the wait is refused like a wrong one.
    clock.advance(seconds=29)
    assert await attempt(database, lockout, user_id, ok=True) == Verdict(allowed=False, locked=True)
    clock.advance(seconds=1)
    assert await attempt(database, lockout, user_id, ok=True) == Verdict(allowed=True)


async def test_back_off_doubles_up_to_the_cap(database: Database, user_id: str) -> None:
    clock = Clock()
    lockout = Lockout(
        threshold=3, base_delay=timedelta(seconds=10), max_delay=timedelta(seconds=35), clock=clock
    )
    waits = []
    for _ in range(6):
        verdict = await attempt(database, lockout, user_id, ok=False)
        if verdict.locked_for:
            waits.append(verdict.locked_for.total_seconds())
            # Attempts during the wait neither succeed nor extend it.
            during = await attempt(database, lockout, user_id, ok=False)
            assert during == Verdict(allowed=False, locked=True)
            clock.advance(seconds=verdict.locked_for.total_seconds())
    assert waits == [10, 20, 35, 35]


async def test_failures_outside_the_window_are_forgotten(database: Database, user_id: str) -> None:
    clock = Clock()
    lockout = Lockout(threshold=3, window=timedelta(minutes=5), clock=clock)
    await attempt(database, lockout, user_id, ok=False)
    await attempt(database, lockout, user_id, ok=False)
    clock.advance(minutes=5, seconds=1)
    assert (await attempt(database, lockout, user_id, ok=False)).locked_for is None
    assert (await attempt(database, lockout, user_id, ok=False)).locked_for is None
    assert (await attempt(database, lockout, user_id, ok=False)).locked_for is not None


async def test_after_a_lock_a_quiet_window_starts_over(database: Database, user_id: str) -> None:
    clock = Clock()
    lockout = Lockout(threshold=2, base_delay=timedelta(seconds=10), clock=clock)
    await attempt(database, lockout, user_id, ok=False)
    assert (await attempt(database, lockout, user_id, ok=False)).locked_for == timedelta(seconds=10)
    clock.advance(seconds=10, minutes=5)
    assert (await attempt(database, lockout, user_id, ok=False)).locked_for is None


async def test_the_sweep_deletes_only_rows_whose_window_has_passed(database: Database) -> None:
    clock = Clock()
    lockout = Lockout(threshold=2, base_delay=timedelta(seconds=30), clock=clock)
    stale, locked, fresh = (f"{uuid.uuid4().hex}@example.com" for _ in range(3))
    await attempt(database, lockout, stale, ok=False)
    for _ in range(2):
        await attempt(database, lockout, locked, ok=False)  # locked for 30 s
    clock.advance(seconds=lockout.window.total_seconds() + 1)
    await attempt(database, lockout, fresh, ok=False)
    async with database.sessionmaker() as db:
        await lockout.sweep(db)
        await db.commit()
        # The lock ended 30 s in, but its quiet window has not passed yet.
        assert {row.email_key for row in await rows(db, stale, locked, fresh)} == {locked, fresh}
    clock.advance(seconds=30)
    async with database.sessionmaker() as db:
        await lockout.sweep(db)
        await db.commit()
        assert {row.email_key for row in await rows(db, stale, locked, fresh)} == {fresh}
    # What the sweep kept still counts: one more failure locks the fresh address.
    verdict = await attempt(database, lockout, fresh, ok=False)
    assert verdict == Verdict(allowed=False, locked_for=timedelta(seconds=30))


async def rows(db: AsyncSession, *keys: str) -> list[LockoutRow]:
    return list(await db.scalars(select(LockoutRow).where(LockoutRow.email_key.in_(keys))))
