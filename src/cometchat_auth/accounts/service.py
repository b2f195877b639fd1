"""Accounts: create, authenticate, update, delete; the CometChat user follows the account."""

from __future__ import annotations

import contextlib
import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts.emails import email_key, normalize_email
from cometchat_auth.accounts.passwords import Passwords, check_policy
from cometchat_auth.cometchat import CometChatClient, UserNotFound
from cometchat_auth.errors import EmailTaken, InvalidCredentials
from cometchat_auth.store import UserRow


async def find_by_email(db: AsyncSession, email: str) -> UserRow | None:
    try:
        key = email_key(email)
    except ValueError:
        return None
    row: UserRow | None = await db.scalar(select(UserRow).where(UserRow.email_key == key))
    return row


async def create_account(
    db: AsyncSession,
    cometchat: CometChatClient,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    name: str,
    with_token: bool,
) -> tuple[UserRow, str | None]:
    """Insert the account and create its CometChat user (same id); the caller commits.

    Returns the CometChat token when ``with_token`` (it comes in the same round trip). If CometChat
    fails the error propagates and the caller's rollback leaves no half-made account.
    """
    email = normalize_email(email)
    if await find_by_email(db, email) is not None:
        raise EmailTaken
    user = UserRow(
        id=uuid.uuid4().hex,
        email=email,
        email_key=email_key(email),
        name=name,
        password_hash=await passwords.hash(check_policy(password)),
        email_verified=False,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        # Another request registered the same email between the lookup and the insert.
        raise EmailTaken from None
    created = await cometchat.create_user(user.id, name, with_auth_token=with_token)
    return user, created.auth_token


async def authenticate(
    db: AsyncSession, passwords: Passwords, *, email: str, password: str
) -> UserRow:
    """The account these credentials open, else InvalidCredentials (one answer for both)."""
    user = await find_by_email(db, email)
    ok, new_hash = await passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        raise InvalidCredentials
    if new_hash:
        user.password_hash = new_hash
    return user


async def update_profile(
    cometchat: CometChatClient,
    user: UserRow,
    changes: dict[str, str | None],
) -> None:
    """Apply ``name`` and/or ``avatar`` (None removes the avatar), in CometChat first."""
    if not changes:
        return
    # Only the avatar can be removed (the schema refuses a null name).
    unset: tuple[Literal["avatar"], ...] = ("avatar",) if changes.get("avatar", "") is None else ()
    # No CometChat user yet: the next login creates it with this profile.
    with contextlib.suppress(UserNotFound):
        await cometchat.update_user(
            user.id, name=changes.get("name"), avatar=changes.get("avatar"), unset=unset
        )
    for field, value in changes.items():
        setattr(user, field, value)


async def check_password(passwords: Passwords, user: UserRow, password: str) -> None:
    """InvalidCredentials unless ``password`` is the account's: sensitive changes ask again."""
    ok, _ = await passwords.verify(user.password_hash, password)
    if not ok:
        raise InvalidCredentials


async def change_password(passwords: Passwords, user: UserRow, *, current: str, new: str) -> None:
    await check_password(passwords, user, current)
    user.password_hash = await passwords.hash(check_policy(new))


async def delete_account(db: AsyncSession, cometchat: CometChatClient, user: UserRow) -> None:
    """Delete the CometChat user (its tokens go with it), then the account and its sessions."""
    with contextlib.suppress(UserNotFound):
        await cometchat.delete_user(user.id, permanent=True)
    await db.delete(user)
