"""Disabled accounts: an operator's stop that keeps the account (unlike deletion).

A disabled account cannot sign in (the answer is a wrong password's) and its CometChat user is
deactivated, not deleted, so enabling it brings the same user, conversations and all, back.
The caller ends the account's sessions first, in the same transaction, so that their CometChat
tokens are flushed before the user is deactivated.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.audit import Event, record
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import utcnow


async def disable(db: AsyncSession, jobs: CometChatJobs, user: UserRow) -> bool:
    """Disable the account and queue the CometChat user's deactivation; False if it was already."""
    if user.disabled_at is not None:
        return False
    user.disabled_at = utcnow()
    await jobs.deactivate_user(db, user.id)
    record(db, Event.ACCOUNT_DISABLED, user_id=user.id, email=user.email_key)
    return True


async def enable(db: AsyncSession, jobs: CometChatJobs, user: UserRow) -> bool:
    """Let the account sign in again and queue the CometChat user's reactivation; False if it
    was not disabled."""
    if user.disabled_at is None:
        return False
    user.disabled_at = None
    await jobs.reactivate_user(db, user.id)
    record(db, Event.ACCOUNT_ENABLED, user_id=user.id, email=user.email_key)
    return True
