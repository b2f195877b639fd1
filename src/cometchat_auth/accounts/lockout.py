"""Per-account lock-out: after N failed passwords the account waits, exponentially longer, capped.

The counters live in the database, not in the rate-limit storage: every server process shares
them with no Redis, they survive a restart (an attacker cannot reset them by waiting for a
deploy), and they change in the same transaction as the login they count. They are keyed by
email key, for unknown addresses too, so a failed login costs the same work whether or not the
account exists (timing tells nothing).

While the account waits, every password, even the right one, gets the same answer as a wrong
one, so a lock tells an attacker nothing. Only sign-in waits: password reset does not look here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.settings import Settings
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


@dataclass(frozen=True, slots=True)
class Lockout:
    """``threshold`` failures in ``window`` lock for ``base_delay``, doubling to ``max_delay``."""

    threshold: int = 5
    window: timedelta = timedelta(minutes=5)
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: Settings) -> Lockout:
        return cls(
            threshold=settings.lockout_threshold,
            window=timedelta(seconds=settings.lockout_window),
            base_delay=timedelta(seconds=settings.lockout_base_delay),
            max_delay=timedelta(seconds=settings.lockout_max_delay),
        )

    async def attempt(self, db: AsyncSession, email_key: str, *, password_ok: bool) -> Verdict:
        """Count one sign-in attempt for the address; the caller commits."""
        now = self.clock()
        row = await db.get(LockoutRow, email_key, with_for_update=True)
        if row is not None and self._forgotten(row, now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        if row is not None and row.locked_until is not None and now < row.locked_until:
            # Waiting: refused whatever the password, and not counted (no extension by hammering).
            return Verdict(allowed=False)
        if password_ok:
            if row is not None:
                await db.execute(delete(LockoutRow).where(LockoutRow.email_key == email_key))
            return Verdict(allowed=True)
        if row is None:
            row = LockoutRow(email_key=email_key, failures=0, first_failure_at=now)
            db.add(row)
        row.failures += 1
        if row.failures < self.threshold:
            await db.flush()
            return Verdict(allowed=False)
        wait = min(self.max_delay, self.base_delay * 2 ** min(row.failures - self.threshold, 32))
        row.locked_until = now + wait
        await db.flush()
        return Verdict(allowed=False, locked_for=wait)

    def _forgotten(self, row: LockoutRow, now: datetime) -> bool:
        # Before a lock, failures older than the window; after one, a quiet window once it ended.
        if row.locked_until is None:
            return now - row.first_failure_at > self.window
        return now >= row.locked_until + self.window
