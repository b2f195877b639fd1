"""Sessions (one per device): start, check, refresh with reuse detection, end.

Each session owns one CometChat token, minted at sign-in (or, when CometChat was out or the
email still unverified then, on the first call that asks for it) and deleted in CometChat when
the session ends, because CometChat's own tokens never expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
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
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    #: None while CometChat cannot be reached (then ``retry_after`` says when to ask again) or
    #: while REQUIRE_VERIFIED_EMAIL_FOR_CHAT waits for the email.
    cometchat_token: str | None = field(repr=False)
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
        retention: int,
        require_verified_email: bool = False,
    ) -> None:
        self.access = access
        self._vault = vault
        self._cometchat = cometchat
        self._jobs = jobs
        self._idle = timedelta(seconds=idle_timeout)
        self._max_age = timedelta(seconds=max_age)
        self._grace = timedelta(seconds=reuse_grace)
        self._retention = timedelta(seconds=retention)
        self._require_verified = require_verified_email

    async def sign_in(
        self,
        db: AsyncSession,
        user: UserRow,
        *,
        user_agent: str | None,
        ip: str | None,
    ) -> Issued:
        """A new session, committed, then its first CometChat token (register and login).

        Minting only after the commit means a failed commit cannot orphan a token; and the
        account stands even if CometChat is out (the outbox catches it up). The user's queued
        CometChat jobs (creating the user, a flush) run first, within the same deadline as the
        mint; past it, or with CometChat out, the answer goes without a token and
        ``POST /cometchat/token`` mints one once CometChat answers again.
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
        await db.commit()
        issued = Issued(user, session, self.access.issue(user.id, session.id, now), refresh, None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._jobs.breaker.deadline
        if waiting and not await self._jobs.settle(user.id):
            return replace(issued, retry_after=retry_after(None))
        token, wait = await self._or_later(self._mint(user, within=deadline - loop.time()))
        if token:
            session.cometchat_token = self._vault.seal(token)
            record(db, Event.COMETCHAT_TOKEN_MINTED, user_id=user.id, session=session.id)
            await db.commit()
        return replace(issued, cometchat_token=token, retry_after=wait)

    async def authenticate(self, db: AsyncSession, access_token: str) -> tuple[UserRow, SessionRow]:
        """The user and live session behind an access token: a signature alone is not enough."""
        claims = self.access.read(access_token)
        session = await db.get(SessionRow, claims.session_id)
        if session is None or session.user_id != claims.user_id:
            raise Unauthenticated
        return await self._signed_in(db, session)

    async def holder(self, db: AsyncSession, refresh_token: str) -> tuple[UserRow, SessionRow]:
        """The user and live session behind a refresh token, left unrotated: to sign out with
        an expired access token."""
        hashed = hash_token(refresh_token)
        session = await db.scalar(select(SessionRow).where(SessionRow.refresh_hash == hashed))
        if session is None:
            raise Unauthenticated
        return await self._signed_in(db, session)

    async def _signed_in(self, db: AsyncSession, session: SessionRow) -> tuple[UserRow, SessionRow]:
        user = await db.get(UserRow, session.user_id) if self._live(session) else None
        if user is None:
            raise Unauthenticated
        return user, session

    async def refresh(
        self,
        db: AsyncSession,
        refresh_token: str,
        *,
        limit: Callable[[str], Awaitable[None]] | None = None,
    ) -> Issued:
        """Rotate the refresh token; a used one ends its session (after a short grace).

        ``limit`` counts the attempt against the session's id: the token itself changes with
        every rotation, the session does not.
        """
        presented = hash_token(refresh_token)
        session = await db.scalar(select(SessionRow).where(SessionRow.refresh_hash == presented))
        if session is None:
            await self._reused(db, presented)
            raise RefreshTokenInvalid
        if limit is not None:
            await limit(session.id)
        user = await db.get(UserRow, session.user_id) if self._live(session) else None
        if user is None:
            raise RefreshTokenInvalid
        # A missing CometChat token is minted before the first write: SQLite's one write lock
        # must not be held across an HTTP call.
        stored = session.cometchat_token
        current = self._vault.open(stored) if stored else None
        minted, wait = (None, None) if current else await self._or_later(self._mint(user))
        now = utcnow()
        refresh, refresh_hash = new_refresh_token()
        rotated = await db.execute(
            update(SessionRow)
            .where(SessionRow.id == session.id, SessionRow.refresh_hash == presented)
            .values(refresh_hash=refresh_hash, rotated_at=now, last_used_at=now)
        )
        if getattr(rotated, "rowcount", 0) != 1:
            if minted:  # a concurrent refresh with the same token won: ours must not linger
                await self._jobs.delete_token(db, user.id, minted)
                await db.commit()
            raise RefreshTokenReused
        db.add(SpentRefreshToken(token_hash=presented, session_id=session.id, spent_at=now))
        token = await self._keep(db, user, session, stored, minted) if minted else current
        access = self.access.issue(user.id, session.id, now)
        return Issued(user, session, access, refresh, token, wait)

    async def _reused(self, db: AsyncSession, presented: str) -> None:
        """Raise RefreshTokenReused for a spent token, ending its session first.

        Within the grace it may be an answer the client lost; but then nobody holds the session's
        current refresh token, and the session (with its CometChat token) would linger until the
        idle timeout: it ends either way, and only past the grace is it reported as a theft.
        """
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
            # Someone holds a copy they should not: ending the session makes every copy die.
            record(db, Event.REFRESH_REUSED, user_id=session.user_id, session=session.id)
        await self.end(db, session, "refresh_lost" if lost_answer else "refresh_reused")
        await db.commit()
        raise RefreshTokenReused

    async def cometchat_token(
        self, db: AsyncSession, user: UserRow, session: SessionRow, *, rotate: bool = False
    ) -> str:
        """The session's CometChat token; a new one to rotate or if unreadable (or never minted).

        Requests may mint at once (tabs, retries): only one whose UPDATE still finds the token
        it read saves its own; any other queues deletion of what it minted and answers with the
        saved one, so no token outlives its session. The old one's deletion is queued in the
        caller's transaction.
        """
        stored = session.cometchat_token
        old = self._vault.open(stored) if stored else None
        if old and not rotate:
            return old
        return await self._keep(db, user, session, stored, await self._mint(user))

    async def _keep(
        self, db: AsyncSession, user: UserRow, session: SessionRow, stored: str | None, token: str
    ) -> str:
        """Save ``token`` unless the stored token is no longer ``stored``; returns the saved one."""
        old = self._vault.open(stored) if stored else None
        saved = await db.execute(
            update(SessionRow)
            .where(
                SessionRow.id == session.id,
                SessionRow.ended_at.is_(None),
                SessionRow.cometchat_token.is_not_distinct_from(stored),
            )
            .values(cometchat_token=self._vault.seal(token))
            .execution_options(synchronize_session="fetch")
        )
        if getattr(saved, "rowcount", 0) != 1:
            await self._jobs.delete_token(db, user.id, token)
            await db.refresh(session)
            winner = self._vault.open(session.cometchat_token) if session.cometchat_token else None
            if winner is None or session.ended_at is not None:
                await db.commit()  # ended meanwhile (a logout): the deletion outlives the refusal
                raise Unauthenticated
            return winner
        record(db, Event.COMETCHAT_TOKEN_MINTED, user_id=user.id, session=session.id)
        if old:
            await self._jobs.delete_token(db, user.id, old)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user.id, session=session.id)
        return token

    async def end(self, db: AsyncSession, session: SessionRow, reason: str) -> None:
        """End one session at once; its CometChat token's deletion is queued. The caller commits."""
        sealed = await self._close(db, session, reason)
        await self._revoke(db, session.user_id, [sealed] if sealed else [], reason)

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
            await self._jobs.flush_tokens(db, user_id)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user_id, every=True, reason=reason)
            return
        await self._revoke(db, user_id, sealed, reason)

    async def _revoke(self, db: AsyncSession, user_id: str, sealed: list[str], reason: str) -> None:
        """Queue deletion of these CometChat tokens; one that no key opens makes all of them go."""
        tokens = [token for one in sealed if (token := self._vault.open(one))]
        if len(tokens) < len(sealed):
            await self._jobs.flush_tokens(db, user_id)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user_id, every=True, reason=reason)
            return
        for token in tokens:
            await self._jobs.delete_token(db, user_id, token)
            record(db, Event.COMETCHAT_TOKEN_REVOKED, user_id=user_id, reason=reason)

    async def sweep(self, db: AsyncSession) -> int:
        """End idle and expired sessions (their CometChat tokens go too); returns how many.

        Ended sessions are deleted after the retention, their spent refresh tokens at once:
        a token of an ended session is refused either way.
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

    async def _close(self, db: AsyncSession, session: SessionRow, reason: str) -> str | None:
        """Mark the session ended; returns its sealed CometChat token as stored now.

        The ending UPDATE itself reads the token: it waits for a concurrent save, and a save
        after it finds the session ended, so no freshly minted token is missed.
        """
        sealed = await db.scalar(
            update(SessionRow)
            .where(SessionRow.id == session.id)
            .values(ended_at=utcnow(), end_reason=reason)
            .returning(SessionRow.cometchat_token)
        )
        session.cometchat_token = None
        return sealed

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
            return (await self._cometchat.create_auth_token(user.id, force=True)).auth_token
        except UserNotFound:
            pass
        # The outbox may create the user at this very moment: either way it then exists.
        with contextlib.suppress(UserAlreadyExists):
            created = await self._cometchat.create_user(
                user.id, user.name, avatar=user.avatar, with_auth_token=True
            )
            if created.auth_token:
                return created.auth_token
        return (await self._cometchat.create_auth_token(user.id, force=True)).auth_token

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
