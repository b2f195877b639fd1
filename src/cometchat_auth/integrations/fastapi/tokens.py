"""``CometChatTokens``: CometChat for a FastAPI app that already has its users and sessions.

The app says who is signed in (a ``Principal``: uid, a session key of its choosing, name,
avatar); the plug-in mints that session's CometChat token, keeps it sealed in the app's
database, rotates it, and deletes it when the app's session ends. Provisioning (creating and
updating the CometChat user) and deletion go through the outbox, so CometChat being out delays
them and loses nothing. The same core as the standalone server: ``chat_tokens`` and ``outbox``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from cometchat_auth.api.errors import COMETCHAT, Answer, answer_for, cometchat_answer, responses
from cometchat_auth.api.schemas import CometChatOut, TokenIn, TokenOut
from cometchat_auth.chat_tokens import ChatTokens, Principal, Slots
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.cometchat import CometChatClient, CometChatError
from cometchat_auth.errors import DomainError
from cometchat_auth.integrations.fastapi.tables import CHAT_SESSIONS, PluginBase, PluginJobRow
from cometchat_auth.outbox import Outbox
from cometchat_auth.outbox.breaker import CircuitBreaker
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.store.db import create_engine, migrate
from cometchat_auth.store.models import utcnow
from cometchat_auth.store.transaction import transaction

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class CometChatTokens:
    """Build once per app: ``CometChatTokens(client, engine_or_url, key)``.

    ``engine_or_url`` is the app's own async engine (the plug-in's tables go beside the app's)
    or a URL for one of its own. ``key`` is a Fernet key (or several, the first encrypting) for
    the tokens at rest. ``envelope=True`` answers errors as ``{"error": {"code", "message"}}``;
    by default they are plain ``HTTPException``s, rendered by the app's own handlers. Rows of
    ended sessions are kept ``retention`` long (they keep a key ended), then swept.
    """

    def __init__(
        self,
        client: CometChatClient,
        engine_or_url: AsyncEngine | str,
        key: str | Sequence[str],
        *,
        envelope: bool = False,
        deadline: float | None = None,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self.client = client
        self._owns_engine = isinstance(engine_or_url, str)
        self.engine = (
            create_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        vault = TokenVault([key] if isinstance(key, str) else list(key))
        outbox = Outbox(self.sessionmaker, vault, rows=PluginJobRow)
        breaker = CircuitBreaker(deadline=deadline or client.deadline)
        self.jobs = CometChatJobs(outbox, client, breaker)
        self.chat = ChatTokens(
            Slots.of(CHAT_SESSIONS), vault=vault, cometchat=client, jobs=self.jobs, audit=False
        )
        self._envelope = envelope
        self._retention = retention

    # Tables and the worker

    async def migrate(self) -> None:
        """Create or upgrade the ``cca_`` tables (their own ``cca_alembic_version``)."""
        await migrate(self.engine, MIGRATIONS)

    async def create_all(self) -> None:
        """The alternative to ``migrate`` for apps that make their tables with ``create_all``."""
        async with self.engine.begin() as connection:
            await connection.run_sync(PluginBase.metadata.create_all)

    @asynccontextmanager
    async def running(self, *, migrate: bool = True) -> AsyncIterator[CometChatTokens]:
        """For the app's lifespan: the tables migrated, the outbox's worker running, ended
        sessions' rows swept hourly."""
        if migrate:
            await self.migrate()
        sweeper = asyncio.create_task(self._sweep_hourly())
        try:
            async with self.jobs.outbox.running():
                yield self
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            if self._owns_engine:
                await self.engine.dispose()

    async def sweep(self) -> int:
        """Delete the rows of sessions ended longer ago than ``retention``; how many."""
        async with transaction(self.sessionmaker) as db:
            swept = await self.chat.sweep(db, ended_before=utcnow() - self._retention)
            await db.commit()
        return swept

    async def _sweep_hourly(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping ended CometChat sessions failed; again in an hour")
            await asyncio.sleep(3600)

    # What the app calls

    async def token(self, principal: Principal, *, rotate: bool = False) -> str:
        """The session's CometChat token (the same until it rotates); a new session's first
        call provisions the CometChat user with the principal's name and avatar."""
        async with transaction(self.sessionmaker) as db:
            new = await self.chat.stored(db, principal.key) is None
            if new:
                await self.jobs.sync_profile(db, principal.uid, principal.name, principal.avatar)
                await db.commit()
        if new:
            await self.jobs.settle(principal.uid)
        async with transaction(self.sessionmaker) as db:
            token = await self.chat.get(db, principal, rotate=rotate)
            await db.commit()
        await self.jobs.settle(principal.uid)  # a rotated-out token goes now
        return token

    async def end_session(self, key: str) -> None:
        """The app's session ``key`` ended (a logout): its CometChat token is deleted."""
        async with transaction(self.sessionmaker) as db:
            uid = await self.chat.end(db, key, "logout")
            await db.commit()
        if uid is not None:
            await self.jobs.settle(uid)

    async def end_user(self, uid: str) -> None:
        """Every session of ``uid`` ended (a password change, a block): all its tokens go."""
        await self._for_user(uid, delete=False)

    async def delete_user(self, uid: str) -> None:
        """The app deleted the user: its sessions end and its CometChat user is deleted."""
        await self._for_user(uid, delete=True)

    async def sync_user(self, uid: str, name: str, avatar: str | None = None) -> None:
        """The user's name or avatar changed: CometChat's copy follows."""
        async with transaction(self.sessionmaker) as db:
            await self.jobs.sync_profile(db, uid, name, avatar)
            await db.commit()
        await self.jobs.settle(uid)

    async def _for_user(self, uid: str, *, delete: bool) -> None:
        async with transaction(self.sessionmaker) as db:
            await self.chat.end_user(db, uid, "deleted" if delete else "ended")
            if delete:
                await self.jobs.delete_user(db, uid)
            await db.commit()
        await self.jobs.settle(uid)

    # The route

    def router(
        self,
        current_principal: Callable[..., Any],
        *,
        prefix: str = "/cometchat",
        tags: Sequence[str] = ("cometchat",),
    ) -> APIRouter:
        """``POST {prefix}/token`` (``{"rotate": true}`` replaces the token) for whoever
        ``current_principal`` (the app's dependency, returning a ``Principal``) says is signed
        in; it raises the app's own 401 when nobody is."""
        router = APIRouter(prefix=prefix, tags=list(tags))

        @router.post(
            "/token",
            response_model=TokenOut,
            responses=responses("UNAUTHENTICATED", *COMETCHAT) if self._envelope else None,
            summary="This session's CometChat token; rotate replaces it and deletes the old one",
        )
        async def cometchat_token(
            body: TokenIn | None = None,
            # Not an Annotated alias: this module's annotations are strings, resolved globally.
            principal: Principal = Depends(current_principal),
        ) -> Any:
            try:
                token = await self.token(principal, rotate=body.rotate if body else False)
            except DomainError as exc:
                return self._refuse(answer_for(exc))
            except CometChatError as exc:
                return self._refuse(cometchat_answer(exc))
            cometchat = CometChatOut(
                app_id=self.client.app_id, region=self.client.region, uid=principal.uid
            )
            return TokenOut(auth_token=token, cometchat=cometchat)

        return router

    def _refuse(self, answer: Answer) -> Response:
        if self._envelope:
            return answer.response()
        raise HTTPException(answer.status, answer.message, headers=dict(answer.headers) or None)
