"""The exchange: a provider's ID token in, the CometChat token of that chat session out.

One path through the chat-token core (``chat_tokens``), like sign-in: the provider's session
(or the user's device) is the key, so exchanging again returns the same token instead of minting
another. Back-channel logout and ``end`` end keys there, which queues the tokens' deletion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.chat_tokens import ChatTokens, Principal, chat_sessions_table
from cometchat_auth.errors import ChatSessionEnded, kept
from cometchat_auth.identity import profiles, replay
from cometchat_auth.identity.claims import holder, session_key
from cometchat_auth.identity.errors import ChatSessionOver, Reason, TokenRejected
from cometchat_auth.identity.uids import cometchat_uid
from cometchat_auth.identity.verify import TokenVerifier
from cometchat_auth.store.models import Base, utcnow

log = logging.getLogger(__name__)

#: The exchange's chat sessions: key, uid, sealed token, created, ended.
CHAT_SESSIONS: Table = chat_sessions_table(Base.metadata, "identity_chat_sessions")


@dataclass(frozen=True, slots=True)
class Exchanged:
    """What the client gets: the chat session's CometChat token, for whom, and for how long."""

    principal: Principal
    auth_token: str = field(repr=False)
    #: Seconds until the chat session ends by age (then exchange a fresh provider session's token).
    expires_in: int


class Exchange:
    """Verify, map the holder, and get or mint the chat session's token; end sessions."""

    def __init__(self, verifier: TokenVerifier, tokens: ChatTokens, *, max_age: int) -> None:
        self.verifier = verifier
        self.tokens = tokens
        self._max_age = timedelta(seconds=max_age)

    async def principal(self, id_token: str, device: str | None) -> Principal:
        """The verified holder of ``id_token`` as a principal of the chat-token core."""
        return holder(self.verifier.config, await self.verifier.id_token(id_token), device)

    async def exchange(self, db: AsyncSession, principal: Principal) -> Exchanged:
        """The chat session's token (minted on first use); a changed name or avatar is queued
        for CometChat. The caller commits."""
        try:
            token = await self.tokens.get(db, principal)
        except ChatSessionEnded as exc:
            # Said in the exchange's words; a token minted meanwhile is still deleted (kept).
            over = ChatSessionOver()
            raise (kept(over) if exc.keep_work else over) from None
        if await profiles.changed(db, principal):
            await self.tokens.jobs.sync_profile(db, principal.uid, principal.name, principal.avatar)
        created = await db.scalar(
            select(CHAT_SESSIONS.c.created_at).where(CHAT_SESSIONS.c.key == principal.key)
        )
        left = (created or utcnow()) + self._max_age - utcnow()
        return Exchanged(principal, token, max(1, int(left.total_seconds())))

    async def end(self, db: AsyncSession, principal: Principal, reason: str) -> None:
        """End the principal's chat session (its token's deletion is queued); the caller commits."""
        await self.tokens.end(db, principal.key, reason)

    async def back_channel_logout(self, db: AsyncSession, logout_token: str) -> list[str]:
        """Validate a logout token and end what it names; returns the uids whose tokens go.

        With a ``sid``, that provider session's chat session ends; with only a ``sub``, every
        chat session of the user (Back-Channel Logout 1.0, section 2.7). The caller commits.
        """
        config = self.verifier.config
        request = await self.verifier.logout_token(logout_token)
        keep_for = timedelta(seconds=config.logout_max_age + 2 * config.leeway)
        await replay.spend(db, request, keep_for)
        if request.sid is not None:
            key = session_key(config.issuer, request.sid)
            uid = await db.scalar(select(CHAT_SESSIONS.c.uid).where(CHAT_SESSIONS.c.key == key))
            named = self._uid(request.sub)
            if uid is not None and named is not None and uid != named:
                raise TokenRejected(Reason.CLAIM_INVALID, "sid and sub name different users")
            await self.tokens.end(db, key, "backchannel_logout")
            return [uid] if uid else []
        uid = self._uid(request.sub)
        if uid is None:
            log.warning("a logout token names only sub, and UID_CLAIM is not sub: nothing ended")
            return []
        await self.tokens.end_user(db, uid, "backchannel_logout")
        return [uid]

    async def sweep(self, db: AsyncSession, retention: int) -> list[str]:
        """End chat sessions past their maximum age (their tokens go too), forget used logout
        tokens and long-ended sessions; returns the uids whose tokens go. The caller commits."""
        now = utcnow()
        table = CHAT_SESSIONS.c
        too_old = table.created_at <= now - self._max_age
        expired = (
            await db.execute(select(table.key, table.uid).where(table.ended_at.is_(None), too_old))
        ).all()
        for key, _ in expired:
            await self.tokens.end(db, key, "expired")
        await self.tokens.sweep(db, ended_before=now - timedelta(seconds=retention))
        await replay.sweep(db)
        return [uid for _, uid in expired if uid is not None]

    def _uid(self, sub: str | None) -> str | None:
        """The CometChat uid of the provider's ``sub``, when uids are made from ``sub``."""
        config = self.verifier.config
        if sub is None or config.uid_claim != "sub":
            return None
        return cometchat_uid(sub, config.uid_prefix)
