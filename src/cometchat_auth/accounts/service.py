"""Accounts: create, authenticate, update, delete; the CometChat user follows the account."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts.emails import email_key, normalize_email
from cometchat_auth.accounts.lockout import Lockout
from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import AccountLocked, EmailTaken, InvalidCredentials, kept
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.store import UserRow


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What registration asks for; the password is checked against the policy, then hashed."""

    email: str
    password: str = field(repr=False)
    name: str


async def find_by_email(db: AsyncSession, email: str) -> UserRow | None:
    key = _email_key_or_none(email)
    return None if key is None else await _find_by_key(db, key)


async def _find_by_key(db: AsyncSession, key: str) -> UserRow | None:
    row: UserRow | None = await db.scalar(select(UserRow).where(UserRow.email_key == key))
    return row


async def create_account(
    db: AsyncSession, jobs: CometChatJobs, passwords: Passwords, new: NewAccount
) -> UserRow:
    """Insert the account and queue its CometChat user (same id); the caller commits.

    Account and job commit together or not at all: no account without its CometChat user to
    come, whatever state CometChat is in.
    """
    email = normalize_email(new.email)
    if await find_by_email(db, email) is not None:
        raise EmailTaken
    user = UserRow(
        id=uuid.uuid4().hex,
        email=email,
        email_key=email_key(email),
        name=new.name,
        password_hash=await passwords.hash_new(new.password),
        email_verified=False,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        # Another request registered the same email between the lookup and the insert.
        raise EmailTaken from None
    await jobs.create_user(db, user.id)
    record(db, Event.REGISTERED, user_id=user.id, email=user.email_key)
    return user


#: Told (in private registration mode) that someone tried to register an existing account's
#: address; the email issue mails the owner from here. The answer to the caller is the same.
TakenEmailHook = Callable[[AsyncSession, UserRow], Awaitable[None]]


async def register_privately(
    db: AsyncSession,
    jobs: CometChatJobs,
    passwords: Passwords,
    new: NewAccount,
    *,
    on_registration_for_taken_email: TakenEmailHook | None = None,
) -> UserRow | None:
    """Private mode: the new account, or None for a taken email, with the same work either way.

    The caller answers both alike, so the answer does not tell which addresses have accounts.
    """
    existing = await find_by_email(db, new.email)
    if existing is None:
        try:
            return await create_account(db, jobs, passwords, new)
        except EmailTaken:  # registered meanwhile by a concurrent request
            await db.rollback()
            existing = await find_by_email(db, new.email)
            if existing is None:
                raise
    # The same policy answer and the same hashing time as for a new address.
    await passwords.hash_new(new.password)
    if on_registration_for_taken_email is not None:
        await on_registration_for_taken_email(db, existing)
    return None


async def authenticate(
    db: AsyncSession,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    lockout: Lockout | None = None,
) -> UserRow:
    """The account these credentials open, else InvalidCredentials (one answer for both).

    Unknown email, wrong password, a locked and a disabled account answer alike, after the same
    hashing work. A failure keeps its count and audit event (``kept``): the caller commits them.
    """
    key = _email_key_or_none(email)
    user = None if key is None else await _find_by_key(db, key)
    ok, new_hash = await passwords.verify(user.password_hash if user else None, password)
    locked = False
    if key is not None and lockout is not None:
        # Unknown addresses are counted too: the same work, so the same time, as for accounts.
        verdict = await lockout.attempt(db, key, password_ok=ok and user is not None)
        locked = verdict.locked
        if verdict.locked_for is not None:
            wait = int(verdict.locked_for.total_seconds())
            record(db, Event.LOCKED_OUT, user_id=user.id if user else None, email=key, seconds=wait)
        ok = verdict.allowed
    # A disabled account answers as a wrong password does: nothing tells the two apart.
    if not ok or user is None or user.disabled_at is not None:
        record(db, Event.LOGIN_FAILED, user_id=user.id if user else None, email=key)
        raise kept(AccountLocked() if locked else InvalidCredentials())
    if new_hash:
        user.password_hash = new_hash
    record(db, Event.LOGIN_SUCCEEDED, user_id=user.id, email=key, rehashed=bool(new_hash))
    return user


def _email_key_or_none(email: str) -> str | None:
    try:
        return email_key(email)
    except ValueError:
        return None


async def update_profile(
    db: AsyncSession,
    jobs: CometChatJobs,
    user: UserRow,
    changes: dict[str, str | None],
) -> None:
    """Apply ``name`` and/or ``avatar`` (None removes the avatar); CometChat's copy follows."""
    if not changes:
        return
    for name, value in changes.items():
        setattr(user, name, value)
    await jobs.update_user(db, user.id)


async def check_password(
    db: AsyncSession, passwords: Passwords, user: UserRow, password: str, *, lockout: Lockout
) -> None:
    """InvalidCredentials unless ``password`` is the account's: sensitive changes ask again.

    Counted by the sign-in lock-out, so a stolen access token cannot guess the password either.
    A failure keeps its count and audit event (``kept``).
    """
    ok, _ = await passwords.verify(user.password_hash, password)
    if not (await lockout.attempt(db, user.email_key, password_ok=ok)).allowed:
        record(db, Event.LOGIN_FAILED, user_id=user.id, email=user.email_key, reconfirm=True)
        raise kept(InvalidCredentials())


async def change_password(
    db: AsyncSession,
    passwords: Passwords,
    user: UserRow,
    *,
    current: str,
    new: str,
    lockout: Lockout,
) -> None:
    await check_password(db, passwords, user, current, lockout=lockout)
    await set_password(passwords, user, new)


async def set_password(passwords: Passwords, user: UserRow, new: str) -> None:
    """Replace the password (the policy applies); links mailed before it stop working."""
    user.password_hash = await passwords.hash_new(new)


async def delete_account(db: AsyncSession, jobs: CometChatJobs, user: UserRow) -> None:
    """Delete the account and its sessions; the CometChat user (and its tokens) goes after."""
    await jobs.delete_user(db, user.id)
    record(db, Event.ACCOUNT_DELETED, user_id=user.id, email=user.email_key)
    await db.delete(user)
