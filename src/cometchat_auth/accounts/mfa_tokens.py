"""The ticket between a right password and a second factor: short-lived and single-use.

A password login of an account with a second factor gets one of these instead of a session; it
proves the password was right, nothing more. Only its SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import Base, UTCDateTime, utcnow

#: Long enough to open an authenticator app and type a code, short enough to be of no use later.
TTL = timedelta(minutes=5)


class MfaTokenRow(Base):
    __tablename__ = "mfa_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def issue(db: AsyncSession, user: UserRow) -> str:
    """A new ticket for ``user``; the caller commits."""
    token = secrets.token_urlsafe(32)
    db.add(MfaTokenRow(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + TTL))
    return token


async def holder(db: AsyncSession, token: str) -> UserRow | None:
    """The account of a live (unused, unexpired) ticket, else None."""
    row = await db.get(MfaTokenRow, hash_token(token))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return await db.get(UserRow, row.user_id)


async def spend(db: AsyncSession, token: str) -> bool:
    """Use the ticket up; False when it was already used (a concurrent request) or expired."""
    now = utcnow()
    spent = await db.execute(
        update(MfaTokenRow)
        .where(
            MfaTokenRow.token_hash == hash_token(token),
            MfaTokenRow.used_at.is_(None),
            MfaTokenRow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(spent, "rowcount", 0) == 1


async def sweep(db: AsyncSession) -> None:
    """Delete tickets that can no longer count; the caller commits."""
    await db.execute(
        delete(MfaTokenRow).where(
            or_(MfaTokenRow.expires_at <= utcnow(), MfaTokenRow.used_at.is_not(None))
        )
    )
