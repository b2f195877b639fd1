"""The profile CometChat last heard for each exchanged user, so a change is sent once.

An identity provider owns its users' names and avatars; each ID token carries them. Comparing
with what was last sent, an exchange queues a CometChat update only when something changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.chat_tokens import Principal
from cometchat_auth.store.models import Base, UTCDateTime, utcnow


class ExchangedUser(Base):
    __tablename__ = "identity_users"

    uid: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    avatar: Mapped[str | None] = mapped_column(String(3000))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


async def changed(db: AsyncSession, principal: Principal) -> bool:
    """Record the principal's profile; True when it is new or differs from the last one.

    Concurrent first exchanges of one user may both say True: each then queues the same
    (idempotent) CometChat update. The caller commits.
    """
    row = await db.get(ExchangedUser, principal.uid, with_for_update=True)
    if row is None:
        db.add(ExchangedUser(uid=principal.uid, name=principal.name, avatar=principal.avatar))
        return True
    if (row.name, row.avatar) == (principal.name, principal.avatar):
        return False
    row.name, row.avatar = principal.name, principal.avatar
    return True
