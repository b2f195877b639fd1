"""Changing an account's email: a link to the new address confirms it, the old one is told.

The change applies only when the link mailed to the new address is used, so nobody can move an
account to a mailbox they do not read. Every link mailed before the change (verification, reset,
earlier change requests) stops working then, because tokens are bound to the address.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts import email_tokens
from cometchat_auth.accounts.email_tokens import EmailTokenRow
from cometchat_auth.accounts.emails import email_key
from cometchat_auth.accounts.service import find_by_email
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import EmailTaken
from cometchat_auth.store import UserRow


async def request(db: AsyncSession, user: UserRow, new_email: str, *, ttl: float) -> str | None:
    """The token to mail to ``new_email``, or None when the address is this account's or taken.

    The caller answers both alike (and mails the old address either way), so the answer does not
    tell whether the address has an account. Earlier change links die. The caller commits.
    """
    await db.execute(
        delete(EmailTokenRow).where(
            EmailTokenRow.user_id == user.id,
            EmailTokenRow.purpose == "email_change",
            EmailTokenRow.used_at.is_(None),
        )
    )
    record(db, Event.EMAIL_CHANGE_REQUESTED, user_id=user.id, email=user.email_key)
    if email_key(new_email) == user.email_key or await find_by_email(db, new_email) is not None:
        return None
    return await email_tokens.issue(db, user, "email_change", ttl=ttl, new_email=new_email)


async def confirm(db: AsyncSession, token: str) -> UserRow:
    """Apply the change a link confirms: the account's new (and verified) address.

    EmailTaken when the address got an account since the link was sent. The caller commits.
    """
    row, user = await email_tokens.claim(db, token, "email_change")
    assert row.new_email is not None
    old_key = user.email_key
    if await find_by_email(db, row.new_email) is not None:
        raise EmailTaken
    user.email = row.new_email
    user.email_key = email_key(row.new_email)
    user.email_verified = True  # the link reached the new mailbox
    try:
        await db.flush()
    except IntegrityError:  # taken by a concurrent registration
        raise EmailTaken from None
    record(db, Event.EMAIL_CHANGED, user_id=user.id, email=user.email_key, previous=old_key)
    return user
