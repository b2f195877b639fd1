"""The tokens mailed for email verification and password reset.

256 random bits each; the database keeps only their SHA-256. A token works once, until it expires,
and only while the account's password and email are what they were when it was sent: a reset, a
password change or an email change kills every token mailed before it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, ForeignKey, String, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.errors import (
    EmailTokenExpired,
    EmailTokenInvalid,
    EmailTokenOutdated,
    EmailTokenUsed,
)
from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import Base, UTCDateTime, utcnow

Purpose = Literal["verify", "reset", "email_change"]


class EmailTokenRow(Base):
    __tablename__ = "email_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    #: What the account's password hash and email were at issue time (see ``_binding``).
    binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: An email change's new address, confirmed by the link mailed to it.
    new_email: Mapped[str | None] = mapped_column(String(254))


def _binding(user: UserRow) -> str:
    # A digest, not the values: the row must not hold a second copy of the password hash.
    return hashlib.sha256(f"{user.password_hash}\n{user.email_key}".encode()).hexdigest()


def _spent(now: datetime) -> ColumnElement[bool]:
    return or_(EmailTokenRow.used_at.is_not(None), EmailTokenRow.expires_at <= now)


async def sweep(db: AsyncSession) -> int:
    """Delete every used or expired token (they can only be refused); the caller commits."""
    swept = await db.execute(delete(EmailTokenRow).where(_spent(utcnow())))
    return int(getattr(swept, "rowcount", 0))


async def issue(
    db: AsyncSession, user: UserRow, purpose: Purpose, *, ttl: float, new_email: str | None = None
) -> str:
    """A new token for ``user``, valid ``ttl`` seconds; the caller commits and mails it."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # The account's spent and expired tokens go now, so the table stays as small as its use.
    await db.execute(delete(EmailTokenRow).where(EmailTokenRow.user_id == user.id, _spent(now)))
    db.add(
        EmailTokenRow(
            token_hash=hash_token(token),
            user_id=user.id,
            purpose=purpose,
            binding=_binding(user),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            new_email=new_email,
        )
    )
    await db.flush()
    return token


async def consume(db: AsyncSession, token: str, purpose: Purpose) -> UserRow:
    """The account the token was mailed to, the token now used; else an error saying why."""
    return (await claim(db, token, purpose))[1]


async def claim(db: AsyncSession, token: str, purpose: Purpose) -> tuple[EmailTokenRow, UserRow]:
    """``consume``, with the token's row (an email change's new address is on it)."""
    row = await db.get(EmailTokenRow, hash_token(token))
    if row is None or row.purpose != purpose:
        raise EmailTokenInvalid
    if row.used_at is not None:
        raise EmailTokenUsed
    now = utcnow()
    if row.expires_at <= now:
        raise EmailTokenExpired
    user = await db.get(UserRow, row.user_id)
    if user is None:
        raise EmailTokenInvalid
    if row.binding != _binding(user):
        raise EmailTokenOutdated
    # Conditional, so that of two requests racing with one token exactly one wins.
    claimed = await db.execute(
        update(EmailTokenRow)
        .where(EmailTokenRow.token_hash == row.token_hash, EmailTokenRow.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise EmailTokenUsed
    return row, user
