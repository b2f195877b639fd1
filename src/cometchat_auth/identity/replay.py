"""Logout tokens already used, kept in the database so a replay fails in every process.

Only the hash of issuer and ``jti`` is kept, and only while the token could still be accepted
(``iat`` within the logout token's maximum age): an older copy is refused as too old anyway.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.identity.errors import Reason, TokenRejected
from cometchat_auth.identity.verify import LogoutRequest
from cometchat_auth.store.db import dialect_insert
from cometchat_auth.store.models import Base, UTCDateTime, utcnow


class SpentLogoutToken(Base):
    __tablename__ = "identity_spent_logout_tokens"

    #: SHA-256 of issuer and jti: two issuers may use the same jti.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    forget_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def spend(db: AsyncSession, request: LogoutRequest, keep_for: timedelta) -> None:
    """Record the token's jti, or raise ``TokenRejected(REPLAYED)`` if it was recorded before.

    One INSERT decides, so two processes receiving the same token at once cannot both pass.
    """
    key = hashlib.sha256(f"{request.issuer}\0{request.jti}".encode()).hexdigest()
    issued = datetime.fromtimestamp(request.issued_at, UTC)
    inserted = await db.scalar(
        dialect_insert(db)(SpentLogoutToken)
        .values(key=key, forget_after=max(issued, utcnow()) + keep_for)
        .on_conflict_do_nothing()
        .returning(SpentLogoutToken.key)
    )
    if inserted is None:
        raise TokenRejected(Reason.REPLAYED)


async def sweep(db: AsyncSession) -> None:
    """Forget jtis whose tokens are refused as too old by now. The caller commits."""
    await db.execute(delete(SpentLogoutToken).where(SpentLogoutToken.forget_after < utcnow()))
