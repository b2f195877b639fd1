"""Sessions (one per device): start, check, refresh with reuse detection, end.

Each session owns one CometChat token, minted at sign-in and deleted in CometChat when the
session ends, because CometChat's own tokens never expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.audit import Event, record
from cometchat_auth.cometchat import (
    CometChatClient,
    CometChatError,
    UserAlreadyExists,
    UserNotFound,
)
from cometchat_auth.errors import (
    EmailNotVerified,
    RefreshTokenInvalid,
    RefreshTokenReused,
    Unauthenticated,
)
from cometchat_auth.outbox.breaker import is_outage, retry_after
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.sessions.tokens import AccessTokens, hash_token, new_refresh_token
from cometchat_auth.sessions.vault import TokenVault
from cometchat_auth.store import SessionRow, SpentRefreshToken, UserRow
from cometchat_auth.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Issued:
    """What a sign-in or a refresh hands the client."""

    user: UserRow
    session: SessionRow
    access_token: str
    refresh_token: str
    #: None while CometChat cannot be reached; then ``retry_after`` says when to ask again.
    cometchat_token: str | None
    retry_after: int | None = None


class SessionManager:
    def __init__(
        self,
        *,
        access: AccessTokens,
        vault: TokenVault,
        cometchat: CometChatClient,
        jobs: CometChatJobs,
        idle_timeout: int,
        max_age: int,
        reuse_grace: float,
        require_verified_email: bool = False,
    ) -> None:
        self.access = access
        self._vault = vault
        self._cometchat = cometchat
        self._jobs = jobs
        self._idle = timedelta(seconds=idle_timeout)
        self._max_age = timedelta(seconds=max_age)
        self._grace = timedelta(seconds=reuse_grace)
        self._require_verified = require_verified_email

    async def start(
        self,
        db: AsyncSession,
        user: UserRow,
        *,
        user_agent: str | None,
        ip: str | None,
        mint: bool = True,
    ) -> Issued:
        """A session, and its CometChat token unless ``mint`` is off; the caller commits.

        CometChat being out does not keep anyone out of the app: the session starts without a
        token, and ``POST /cometchat/token`` mints one once CometChat answers again.
        """
        token, wait = await self._or_later(self._mint(user)) if mint else (None, None)
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
            cometchat_token=self._vault.seal(token) if token else None,
        )
        db.add(session)
        await db.flush()
        if token:
            record(db, Event.COMETCHAT_TOKEN_MINTED, user_id=user.id, session=session.id)
        access = self.access.issue(user.id, session.id, now)
        return Issued(user, session, access, refresh, token, wait)

    async def first_token(self, db: AsyncSession, issued: Issued) -> Issued:
        """After a registration commits: the user's CometChat jobs, then the first token.

        Both fit in one CometChat deadline; past it, or with CometChat out, the answer goes
        without a token and the outbox's worker creates the CometChat user later. The caller
        commits.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._jobs.breaker.deadline
        if not await self._jobs.settle(issued.user.id):
            return replace(issued, retry_after=retry_after(None))
        token, wait = await self._or_later(self._mint(issued.user, within=deadline - loop.time()))
        if token:
            issued.session.cometchat_token = self._vault.seal(token)
            record(
                db, Event.COMETCHAT_TOKEN_MINTED, user_id=issued.user.id, session=issued.session.id
            )
            await db.flush()
        return replace(issued, cometchat_token=token, retry_after=wait)

    async def authenticate(self, db: AsyncSession, access_token: str) -> tuple[UserRow, SessionRow]:
        """The user and live session behind an access token: a signature alone is not enough."""
        claims = self.access.read(access_token)
        session = await db.get(SessionRow, claims.session_id)
        if session is None or session.user_id != claims.user_id or not self._live(session):
            raise Unauthenticated
        user = await db.get(UserRow, session.user_id)
        if user is None:
            raise Unauthenticated
        return user, session

    async def refresh(self, db: AsyncSession, refresh_token: str) -> Issued:
        """Rotate the refresh token; a used one ends its session (after a short grace)."""
        presented = hash_token(refresh_token)
        session = await db.scalar(select(SessionRow).where(SessionRow.refresh_hash == presented))
        if session is None:
            await self._reused(db, presented)
            raise RefreshTokenInvalid
        if not self._live(session):
            raise RefreshTokenInvalid
        now = utcnow()
        refresh, refresh_hash = new_refresh_token()
        rotated = await db.execute(
            update(SessionRow)
            .where(SessionRow.id == session.id, SessionRow.refresh_hash == presented)
            .values(refresh_hash=refresh_hash, rotated_at=now, last_used_at=now)
        )
        if getattr(rotated, "rowcount", 0) != 1:
            raise RefreshTokenReused  # a concurrent refresh with the same token won
        db.add(SpentRefreshToken(token_hash=presented, session_id=session.id, spent_at=now))
        user = await db.get(UserRow, session.user_id)
        if user is None:
            raise RefreshTokenInvalid
        token, wait = await self._or_later(self.cometchat_token(db, user, session))
        access = self.access.issue(user.id, session.id, now)
        return Issued(user, session, access, refresh, token, wait)

    async def _reused(self, db: AsyncSession, presented: str) -> None:
        """Raise RefreshTokenReused for a spent token; past the grace, its session ends first."""
        spent = await db.get(SpentRefreshToken, presented)
        if spent is None:
            return
        session = await db.get(SessionRow, spent.session_id)
        if session is None or not self._live(session):
            return
        # Only the token the last rotation replaced, and only briefly, may be a lost answer.
        lost_answer = spent.spent_at == session.rotated_at and (
            utcnow() - spent.spent_at <= self._grace
        )
        if not lost_answer:
            # Someone holds a copy they should not: end the session so every copy dies.
            record(db, Event.REFRESH_REUSED, user_id=session.user_id, session=session.id)
            await self.end(db, session, "refresh_reused")
            await db.commit()
        raise RefreshTokenReused

    async def cometchat_token(
        self, db: AsyncSession, user: UserRow, session: SessionRow, *, rotate: bool = False
    ) -> str:
        """The session's CometChat token; a new one to rotate or if unreadable (or never minted).

        The old one's deletion is queued in the caller's transaction.
        """
        old = self._vault.open(session.cometchat_token) if session.cometchat_token else None
        if old and not rotate:
            return old
        token = await self._mint(user)
        session.cometchat_token = self._vault.seal(token)
        record(db, Event.COMETCHAT_TOKEN_MINTED, user_id=user.id, session=session.id)
        await db.flush()
        if old:
            await self._jobs.delete_token(db, user.id, old)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user.id, session=session.id)
        return token

    async def end(self, db: AsyncSession, session: SessionRow, reason: str) -> None:
        """End one session at once; its CometChat token's deletion is queued. The caller commits."""
        token = self._close(session, reason)
        if token:
            await self._jobs.delete_token(db, session.user_id, token)
            record(
                db,
                Event.COMETCHAT_TOKEN_REVOKED,
                user_id=session.user_id,
                session=session.id,
                reason=reason,
            )

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
        tokens = [self._close(s, reason) for s in sessions if keep is None or s.id != keep.id]
        if flush:
            await self._jobs.flush_tokens(db, user_id)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user_id, every=True, reason=reason)
            return
        for token in tokens:
            if token:
                await self._jobs.delete_token(db, user_id, token)
                record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user_id, reason=reason)

    async def sweep(self, db: AsyncSession) -> int:
        """End idle and expired sessions (their CometChat tokens go too); returns how many."""
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
        await db.commit()
        for user_id in dict.fromkeys(users):
            await self._jobs.settle(user_id)  # the tokens die now, or as soon as CometChat can
        return len(users)

    def _live(self, session: SessionRow, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return (
            session.ended_at is None
            and session.expires_at > now
            and session.last_used_at + self._idle > now
        )

    def _close(self, session: SessionRow, reason: str) -> str | None:
        session.ended_at = utcnow()
        session.end_reason = reason
        token = self._vault.open(session.cometchat_token) if session.cometchat_token else None
        session.cometchat_token = None
        return token

    def may_chat(self, user: UserRow) -> bool:
        """Whether ``user`` may have CometChat tokens: REQUIRE_VERIFIED_EMAIL_FOR_CHAT says."""
        return user.email_verified or not self._require_verified

    async def _mint(self, user: UserRow, *, within: float | None = None) -> str:
        """A new CometChat token, through the circuit breaker and within the deadline."""
        if not self.may_chat(user):
            raise EmailNotVerified
        return await self._jobs.breaker.call(lambda: self._create_token(user), within=within)

    async def _create_token(self, user: UserRow) -> str:
        """A new CometChat token; an account with no CometChat user yet gets one now."""
        try:
            return (await self._cometchat.create_auth_token(user.id)).auth_token
        except UserNotFound:
            pass
        # The outbox may create the user at this very moment: either way it then exists.
        with contextlib.suppress(UserAlreadyExists):
            created = await self._cometchat.create_user(
                user.id, user.name, avatar=user.avatar, with_auth_token=True
            )
            if created.auth_token:
                return created.auth_token
        return (await self._cometchat.create_auth_token(user.id)).auth_token

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
