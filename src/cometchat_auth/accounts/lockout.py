"""Per-account lock-out: after N failed passwords the account waits, exponentially longer, capped.

The counters live in the database, not in the rate-limit storage: every server process shares
them with no Redis, they survive a restart (an attacker cannot reset them by waiting for a
deploy), and they change in the same transaction as the login they count. They are keyed by
email key, for unknown addresses too, so a failed login costs the same work whether or not the
account exists (timing tells nothing).

While the account waits, every password, even the right one, gets the same answer as a wrong
one, so a lock tells an attacker nothing. Only sign-in waits: password reset does not look here,
and a completed reset clears the lock (the owner proved control of the address).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, String, and_, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.store.db import dialect_insert
from cometchat_auth.store.models import Base, UTCDateTime, utcnow


class LockoutRow(Base):
    """Failed sign-ins of one address since its last success (or since they were forgotten)."""

    __tablename__ = "login_lockouts"

    email_key: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one attempt did: whether it may sign in, and the wait it started, if any."""

    allowed: bool
    locked_for: timedelta | None = None
    #: Refused because the address waits out an earlier lock, whatever the password.
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Lockout:
    """``threshold`` failures in ``window`` lock for ``base_delay``, doubling to ``max_delay``."""

    threshold: int = 5
    window: timedelta = timedelta(minutes=5)
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = utcnow

    async def attempt(self, db: AsyncSession, email_key: str, *, password_ok: bool) -> Verdict:
        """Count one sign-in attempt for the address; the caller commits."""
        now = self.clock()
        row = await db.get(LockoutRow, email_key, with_for_update=True)
        if row is not None and self._forgotten(row, now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        if row is not None and row.locked_until is not None and now < row.locked_until:
            # Waiting: refused whatever the password, and not counted (no extension by hammering).
            return Verdict(allowed=False, locked=True)
        if password_ok:
            if row is not None:
                await self.clear(db, email_key)
            return Verdict(allowed=True)
        # Concurrent failures must neither collide on the first insert nor be lost: an upsert,
        # then an increment in SQL (SQLite ignores FOR UPDATE).
        if row is None:
            await db.execute(
                dialect_insert(db)(LockoutRow)
                .values(email_key=email_key, failures=0, first_failure_at=now)
                .on_conflict_do_nothing()
            )
        counted = (
            update(LockoutRow)
            .where(LockoutRow.email_key == email_key)
            .values(failures=LockoutRow.failures + 1)
            .returning(LockoutRow.failures)
            .execution_options(synchronize_session=False)
        )
        failures = int(await db.scalar(counted) or 0)
        if failures < self.threshold:
            return Verdict(allowed=False)
        wait = min(self.max_delay, self.base_delay * 2 ** min(failures - self.threshold, 32))
        await db.execute(
            update(LockoutRow)
            .where(LockoutRow.email_key == email_key)
            .values(locked_until=now + wait)
            .execution_options(synchronize_session=False)
        )
        return Verdict(allowed=False, locked_for=wait)

    async def locked(self, db: AsyncSession, key: str) -> bool:
        """Whether ``key`` waits out a lock now: checked before work that a refusal must not
        spend (a one-time recovery code)."""
        now = self.clock()
        row = await db.get(LockoutRow, key)
        return (
            row is not None
            and not self._forgotten(row, now)
            and row.locked_until is not None
            and now < row.locked_until
        )

    async def clear(self, db: AsyncSession, email_key: str) -> None:
        """Forget the address's failures and lock; the caller commits."""
        await db.execute(delete(LockoutRow).where(LockoutRow.email_key == email_key))

    async def sweep(self, db: AsyncSession) -> int:
        """Delete the rows an attempt would forget anyway; the caller commits. Returns how many."""
        swept = await db.execute(delete(LockoutRow).where(self._forgotten_rows(self.clock())))
        return int(getattr(swept, "rowcount", 0))

    def _forgotten(self, row: LockoutRow, now: datetime) -> bool:
        # Before a lock, failures older than the window; after one, a quiet window once it ended.
        if row.locked_until is None:
            return now - row.first_failure_at > self.window
        return now >= row.locked_until + self.window

    def _forgotten_rows(self, now: datetime) -> ColumnElement[bool]:
        # ``_forgotten`` as SQL, for the sweep.
        return or_(
            and_(
                LockoutRow.locked_until.is_(None), LockoutRow.first_failure_at < now - self.window
            ),
            LockoutRow.locked_until <= now - self.window,
        )
