"""Sessions (one per device): start, check, refresh with reuse detection, end.

Each session owns one CometChat token, minted at sign-in and deleted in CometChat when the
session ends, because CometChat's own tokens never expire.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.cometchat import (
    AuthTokenNotFound,
    CometChatClient,
    CometChatError,
    UserNotFound,
)
from cometchat_auth.errors import RefreshTokenInvalid, RefreshTokenReused, Unauthenticated
from cometchat_auth.sessions.tokens import AccessTokens, hash_token, new_refresh_token
from cometchat_auth.sessions.vault import TokenVault
from cometchat_auth.store import SessionRow, SpentRefreshToken, UserRow
from cometchat_auth.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Issued:
    """What a sign-in or a refresh hands the client."""

    user: UserRow
    access_token: str
    refresh_token: str
    cometchat_token: str


class SessionManager:
    def __init__(
        self,
        *,
        access: AccessTokens,
        vault: TokenVault,
        cometchat: CometChatClient,
        idle_timeout: int,
        max_age: int,
        reuse_grace: float,
    ) -> None:
        self.access = access
        self._vault = vault
        self._cometchat = cometchat
        self._idle = timedelta(seconds=idle_timeout)
        self._max_age = timedelta(seconds=max_age)
        self._grace = timedelta(seconds=reuse_grace)

    async def start(
        self,
        db: AsyncSession,
        user: UserRow,
        *,
        user_agent: str | None,
        ip: str | None,
        cometchat_token: str | None = None,
    ) -> Issued:
        """A session bound to ``cometchat_token`` or a freshly minted one; the caller commits."""
        token = cometchat_token or await self._mint(user)
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
            cometchat_token=self._vault.seal(token),
        )
        db.add(session)
        await db.flush()
        return Issued(user, self.access.issue(user.id, session.id, now), refresh, token)

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
        token = await self.cometchat_token(db, user, session)
        return Issued(user, self.access.issue(user.id, session.id, now), refresh, token)

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
            await self.end(db, session, "refresh_reused")
            await db.commit()
        raise RefreshTokenReused

    async def cometchat_token(
        self, db: AsyncSession, user: UserRow, session: SessionRow, *, rotate: bool = False
    ) -> str:
        """The session's CometChat token; a new one (the old deleted) to rotate or if unreadable."""
        old = self._vault.open(session.cometchat_token) if session.cometchat_token else None
        if old and not rotate:
            return old
        token = await self._mint(user)
        session.cometchat_token = self._vault.seal(token)
        await db.flush()
        if old:
            await self._delete_token(user.id, old)
        return token

    async def end(self, db: AsyncSession, session: SessionRow, reason: str) -> None:
        """End one session and delete its CometChat token; the caller commits."""
        token = self._close(session, reason)
        if token:
            await self._delete_token(session.user_id, token)

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
            try:
                await self._cometchat.flush_auth_tokens(user_id)
            except CometChatError as exc:
                log.warning(
                    "could not flush CometChat tokens of %s: %s", user_id, type(exc).__name__
                )
            return
        for token in tokens:
            if token:
                await self._delete_token(user_id, token)

    async def sweep(self, db: AsyncSession) -> int:
        """End idle and expired sessions (their CometChat tokens go too); returns how many."""
        now = utcnow()
        stale = await db.scalars(
            select(SessionRow).where(
                SessionRow.ended_at.is_(None),
                or_(SessionRow.expires_at <= now, SessionRow.last_used_at <= now - self._idle),
            )
        )
        count = 0
        for session in stale:
            await self.end(db, session, "expired" if session.expires_at <= now else "idle")
            count += 1
        await db.commit()
        return count

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

    async def _mint(self, user: UserRow) -> str:
        """A new CometChat token; an account with no CometChat user yet gets one now."""
        try:
            return (await self._cometchat.create_auth_token(user.id)).auth_token
        except UserNotFound:
            created = await self._cometchat.create_user(
                user.id, user.name, avatar=user.avatar, with_auth_token=True
            )
            if created.auth_token:
                return created.auth_token
            return (await self._cometchat.create_auth_token(user.id)).auth_token

    async def _delete_token(self, uid: str, token: str) -> None:
        # The session is over either way; a token CometChat cannot delete is logged, never shown.
        try:
            await self._cometchat.delete_auth_token(uid, token)
        except AuthTokenNotFound:
            pass
        except CometChatError as exc:
            log.warning("could not delete a CometChat token of %s: %s", uid, type(exc).__name__)
