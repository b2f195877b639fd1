"""Sessions (one per device): start, check, refresh with reuse detection, end.

Each session owns one CometChat token (``chat_tokens``, keyed by the session id), minted at
sign-in (or, when CometChat was out or the email still unverified then, on the first call that
asks for it) and deleted in CometChat when the session ends, because CometChat's own tokens
never expire. Everything here writes in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.audit import Event, record
from cometchat_auth.chat_tokens import ChatTokens, Principal, Slots
from cometchat_auth.cometchat import CometChatError
from cometchat_auth.errors import (
    EmailNotVerified,
    RefreshTokenInvalid,
    RefreshTokenReused,
    Unauthenticated,
    kept,
)
from cometchat_auth.outbox.breaker import is_outage, retry_after
from cometchat_auth.sessions.tokens import AccessTokens, hash_token, new_refresh_token
from cometchat_auth.store import SessionRow, SpentRefreshToken, UserRow
from cometchat_auth.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Issued:
    """What a sign-in or a refresh hands the client."""

    user: UserRow
    session: SessionRow
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    #: None while CometChat cannot be reached (then ``retry_after`` says when to ask again) or
    #: while REQUIRE_VERIFIED_EMAIL_FOR_CHAT waits for the email.
    cometchat_token: str | None = field(repr=False)
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """A session written but not yet committed, and whether the user has CometChat jobs queued."""

    issued: Issued
    waiting: bool


def session_slots() -> Slots:
    """The standalone server keeps each session's CometChat token in its ``sessions`` row."""
    return Slots.of(
        cast(Table, SessionRow.__table__),
        owned=False,
        key="id",
        uid="user_id",
        sealed="cometchat_token",
    )


def principal(user: UserRow, session: SessionRow) -> Principal:
    """The CometChat side of a signed-in session: the account's uid and profile, the session id."""
    return Principal(uid=user.id, key=session.id, name=user.name, avatar=user.avatar)


class SessionManager:
    def __init__(
        self,
        *,
        access: AccessTokens,
        chat: ChatTokens,
        idle_timeout: int,
        max_age: int,
        reuse_grace: float,
        retention: int,
        require_verified_email: bool = False,
    ) -> None:
        self.access = access
        self.chat = chat
        self._jobs = chat.jobs
        self._idle = timedelta(seconds=idle_timeout)
        self._max_age = timedelta(seconds=max_age)
        self._grace = timedelta(seconds=reuse_grace)
        self._retention = timedelta(seconds=retention)
        self._require_verified = require_verified_email

    async def start(
        self,
        db: AsyncSession,
        user: UserRow,
        *,
        user_agent: str | None,
        ip: str | None,
    ) -> Started:
        """A new session and its tokens, flushed; the caller commits, then asks ``first_token``.

        Committing before any CometChat call means a failed commit cannot orphan a token, and
        the account stands even if CometChat is out (the outbox catches it up).
        """
        now = utcnow()
        refresh, refresh_hash = new_refresh_token()
        session = SessionRow(
            id=uuid.uuid4().hex,
            user_id=user.id,
            refresh_hash=refresh_hash,
            created_at=now,
            last_used_at=now,
            expires_at=now + self._max_age,
            user_agent=(user_agent or "")[:512] or None,
            ip=ip,
        )
        db.add(session)
        # Looked up in this transaction: most sign-ins have no job and skip the outbox's round.
        waiting = await self._jobs.waiting(db, user.id)
        await db.flush()
        access = self.access.issue(user.id, session.id, now)
        return Started(Issued(user, session, access, refresh, None), waiting)

    async def first_token(self, db: AsyncSession, started: Started) -> Issued:
        """The committed session's first CometChat token, saved; the caller commits.

        The user's queued CometChat jobs (creating the user, a flush) run first, within the same
        deadline as the mint; past it, or with CometChat out, the answer goes without a token
        and ``POST /cometchat/token`` mints one once CometChat answers again.
        """
        issued = started.issued
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._jobs.breaker.deadline
        if started.waiting and not await self._jobs.settle(issued.user.id):
            return replace(issued, retry_after=retry_after(None))
        token, wait = await self._or_later(
            self._mint(db, issued.user, issued.session, within=deadline - loop.time())
        )
        if token:
            me = principal(issued.user, issued.session)
            token = await self.chat.keep(db, me, token, stored=None)
        return replace(issued, cometchat_token=token, retry_after=wait)

    async def authenticate(self, db: AsyncSession, access_token: str) -> tuple[UserRow, SessionRow]:
        """The user and live session behind an access token: a signature alone is not enough."""
        claims = self.access.read(access_token)
        return await self._signed_in(
            db, SessionRow.id == claims.session_id, SessionRow.user_id == claims.user_id
        )

    async def holder(self, db: AsyncSession, refresh_token: str) -> tuple[UserRow, SessionRow]:
        """The user and live session behind a refresh token, left unrotated: to sign out with
        an expired access token."""
        return await self._signed_in(db, SessionRow.refresh_hash == hash_token(refresh_token))

    async def _signed_in(
        self, db: AsyncSession, *where: ColumnElement[bool]
    ) -> tuple[UserRow, SessionRow]:
        # Session and user in one round trip: every signed-in request starts here.
        found = (
            await db.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(*where)
            )
        ).first()
        if found is None or not self._live(found[0]):
            raise Unauthenticated
        session, user = found
        return user, session

    async def refresh(
        self,
        db: AsyncSession,
        refresh_token: str,
        *,
        limit: Callable[[str], Awaitable[None]] | None = None,
    ) -> Issued:
        """Rotate the refresh token to its successor (derived from it, see ``successor``).

        The token the last rotation replaced, presented again within REFRESH_REUSE_GRACE (a lost
        answer, a second tab, a concurrent request), gets the same successor and a fresh access
        token; any other spent token ends the session. ``limit`` counts the attempt against the
        session's id: the token itself changes with every rotation, the session does not.
        """
        presented = hash_token(refresh_token)
        refresh, refresh_hash = self.access.successor(refresh_token)
        session = await db.scalar(select(SessionRow).where(SessionRow.refresh_hash == presented))
        if session is None:
            return await self._presented_again(db, presented, refresh, limit)
        if limit is not None:
            await limit(session.id)
        user = await db.get(UserRow, session.user_id) if self._live(session) else None
        if user is None:
            raise RefreshTokenInvalid
        # A missing CometChat token is minted before the first write: SQLite's one write lock
        # must not be held across an HTTP call.
        stored = session.cometchat_token
        current = self.chat.open(stored)
        minted, wait = (
            (None, None) if current else await self._or_later(self._mint(db, user, session))
        )
        now = utcnow()
        rotated = await db.execute(
            update(SessionRow)
            .where(
                SessionRow.id == session.id,
                SessionRow.refresh_hash == presented,
                SessionRow.ended_at.is_(None),
            )
            .values(refresh_hash=refresh_hash, rotated_at=now, last_used_at=now)
        )
        if getattr(rotated, "rowcount", 0) != 1:
            # A concurrent refresh with the same token won (or the session ended meanwhile).
            if minted:  # ours must not linger
                await self.chat.discard(db, user.id, minted)
            return await self._presented_again(db, presented, refresh, None)
        db.add(SpentRefreshToken(token_hash=presented, session_id=session.id, spent_at=now))
        token = (
            await self.chat.keep(db, principal(user, session), minted, stored=stored)
            if minted
            else current
        )
        access = self.access.issue(user.id, session.id, now)
        return Issued(user, session, access, refresh, token, wait)

    async def _presented_again(
        self,
        db: AsyncSession,
        presented: str,
        successor: str,
        limit: Callable[[str], Awaitable[None]] | None,
    ) -> Issued:
        """A refresh token that is no session's current one: unknown, or spent.

        Spent by the session's last rotation, within the grace: the same successor again. Any
        other spent token means someone holds a copy they should not: the session ends (kept),
        which makes every copy die.
        """
        spent = await db.get(SpentRefreshToken, presented, populate_existing=True)
        if spent is None:
            raise RefreshTokenInvalid
        session = await db.get(SessionRow, spent.session_id, populate_existing=True)
        if session is None or not self._live(session):
            raise RefreshTokenInvalid
        if limit is not None:
            await limit(session.id)
        user = await db.get(UserRow, session.user_id)
        now = utcnow()
        if (
            user is not None
            and session.refresh_hash == hash_token(successor)
            and now - spent.spent_at <= self._grace
        ):
            access = self.access.issue(user.id, session.id, now)
            token = self.chat.open(session.cometchat_token)
            return Issued(user, session, access, successor, token)
        record(db, Event.REFRESH_REUSED, user_id=session.user_id, session=session.id)
        await self.end(db, session, "refresh_reused")
        raise kept(RefreshTokenReused())

    async def cometchat_token(
        self, db: AsyncSession, user: UserRow, session: SessionRow, *, rotate: bool = False
    ) -> str:
        """The session's CometChat token; a new one to rotate or if unreadable (or never minted).

        Requests may mint at once (tabs, retries): see ``ChatTokens.keep``. The old one's
        deletion is queued in the caller's transaction.
        """
        stored = session.cometchat_token
        old = self.chat.open(stored)
        if old and not rotate:
            return old
        me = principal(user, session)
        return await self.chat.keep(db, me, await self._mint(db, user, session), stored=stored)

    async def end(self, db: AsyncSession, session: SessionRow, reason: str) -> None:
        """End one session at once; its CometChat token's deletion is queued."""
        sealed = await self._close(db, session, reason)
        if sealed:
            await self.chat.revoke(db, session.user_id, [sealed], reason, key=session.id)

    async def end_all(
        self,
        db: AsyncSession,
        user_id: str,
        reason: str,
        *,
        keep: SessionRow | None = None,
        flush: bool = False,
    ) -> None:
        """End every live session of a user but ``keep``; ``flush`` drops all CometChat tokens."""
        sessions = await db.scalars(
            select(SessionRow).where(SessionRow.user_id == user_id, SessionRow.ended_at.is_(None))
        )
        sealed: list[str] = []
        for session in sessions.all():
            if keep is not None and session.id == keep.id:
                continue
            if token := await self._close(db, session, reason):
                sealed.append(token)
        if flush:
            await self.chat.flush(db, user_id, reason)
        elif sealed:
            await self.chat.revoke(db, user_id, sealed, reason)

    async def sweep(self, db: AsyncSession) -> list[str]:
        """End idle and expired sessions (their CometChat tokens go too); returns their users.

        Ended sessions are deleted after the retention, their spent refresh tokens at once:
        a token of an ended session is refused either way. The caller commits, then settles
        each user's jobs.
        """
        now = utcnow()
        stale = await db.scalars(
            select(SessionRow).where(
                SessionRow.ended_at.is_(None),
                or_(SessionRow.expires_at <= now, SessionRow.last_used_at <= now - self._idle),
            )
        )
        users: list[str] = []
        for session in stale:
            await self.end(db, session, "expired" if session.expires_at <= now else "idle")
            users.append(session.user_id)
        ended = select(SessionRow.id).where(SessionRow.ended_at.is_not(None))
        await db.execute(delete(SpentRefreshToken).where(SpentRefreshToken.session_id.in_(ended)))
        await db.execute(delete(SessionRow).where(SessionRow.ended_at <= now - self._retention))
        return users

    def _live(self, session: SessionRow, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return (
            session.ended_at is None
            and session.expires_at > now
            and session.last_used_at + self._idle > now
        )

    async def _close(self, db: AsyncSession, session: SessionRow, reason: str) -> str | None:
        """Mark the session ended; returns its sealed CometChat token as stored now.

        The ending UPDATE itself reads the token: it waits for a concurrent save, and a save
        after it finds the session ended, so no freshly minted token is missed. A session that
        already ended (another worker's sweep got there first) is left as it is: its token's
        deletion is queued once.
        """
        sealed = await db.scalar(
            update(SessionRow)
            .where(SessionRow.id == session.id, SessionRow.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
            .returning(SessionRow.cometchat_token)
        )
        session.cometchat_token = None
        return sealed

    def may_chat(self, user: UserRow) -> bool:
        """Whether ``user`` may have CometChat tokens: REQUIRE_VERIFIED_EMAIL_FOR_CHAT says."""
        return user.email_verified or not self._require_verified

    async def _mint(
        self, db: AsyncSession, user: UserRow, session: SessionRow, *, within: float | None = None
    ) -> str:
        """A new CometChat token for the session, if the account may chat (see ``ChatTokens.mint``:
        it commits what ``db`` read)."""
        if not self.may_chat(user):
            raise EmailNotVerified
        return await self.chat.mint(db, principal(user, session), within=within)

    async def _or_later(self, minting: Awaitable[str]) -> tuple[str | None, int | None]:
        """The token, or None: for now (and the seconds to wait) while CometChat is out."""
        try:
            return await minting, None
        except EmailNotVerified:
            return None, None  # the app's session goes ahead; CometChat waits for the email
        except CometChatError as exc:
            if not is_outage(exc):
                raise  # a wrong key or a refusal: the operator must hear of it
            log.warning("no CometChat token for now: %s", type(exc).__name__)
            return None, retry_after(exc)
