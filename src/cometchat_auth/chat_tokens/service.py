"""``ChatTokens``: one CometChat token per key, minted on demand, sealed at rest, ended with it.

CometChat's own tokens never expire, so every token minted must be deleted when its key ends;
the rules that make sure of it under concurrency:

- a token is saved only by an UPDATE that still finds the key live and the token it read: of
  requests minting at once (tabs, retries), one saves its own and the others queue deletion of
  theirs and answer with the saved one;
- ending a key reads its token in the same UPDATE that ends it: it waits for a concurrent save,
  and a save after it finds the key ended (and queues deletion of what it minted);
- a key ended before its first token keeps a row saying so (owned slots), for the same reason;
- no token is ever without an owner, even if the process dies or the database fails around the
  mint: a guard job is committed before the call and dropped in the transaction that saves the
  token (or queues its deletion); a guard left behind reconciles the user's tokens in CometChat
  with the keys that hold them, and deletes the rest.

Everything here only writes in the caller's transaction; the caller commits. Minting calls
CometChat, so callers mint before their first write (SQLite has one write lock).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.audit import Event, record
from cometchat_auth.chat_tokens.principal import Principal
from cometchat_auth.chat_tokens.slots import Slots
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.cometchat import CometChatClient, UserAlreadyExists, UserNotFound
from cometchat_auth.errors import ChatSessionEnded, kept
from cometchat_auth.outbox.breaker import CircuitBreaker
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.store.db import dialect_insert
from cometchat_auth.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stored:
    """A key's row as read: its sealed token, and when it ended."""

    sealed: str | None
    ended_at: datetime | None


class ChatTokens:
    """Mint, keep, rotate and end the CometChat tokens kept in ``slots``."""

    def __init__(
        self,
        slots: Slots,
        *,
        vault: TokenVault,
        cometchat: CometChatClient,
        jobs: CometChatJobs,
        guard_grace: float = 60.0,
        audit: bool = True,
    ) -> None:
        self.slots = slots
        self.vault = vault
        self.jobs = jobs
        self._cometchat = cometchat
        self._audit = audit
        #: Seconds after which a mint's guard, if still there, reconciles (the request is over).
        self._guard_grace = guard_grace
        #: The guard of each token minted here and not yet kept or discarded.
        self._guards: dict[str, int] = {}
        jobs.add_owner(self.owned)

    @property
    def breaker(self) -> CircuitBreaker:
        return self.jobs.breaker

    # Reading

    async def stored(self, db: AsyncSession, key: str) -> Stored | None:
        row = (
            await db.execute(
                select(self.slots.sealed, self.slots.ended_at).where(self.slots.key == key)
            )
        ).first()
        return None if row is None else Stored(row[0], row[1])

    def open(self, sealed: str | None) -> str | None:
        """The token, or None if there is none or no key opens it (rotated away)."""
        return self.vault.open(sealed) if sealed else None

    # Minting and keeping

    async def get(self, db: AsyncSession, principal: Principal, *, rotate: bool = False) -> str:
        """The key's token; a new one to rotate, or if none is kept (or it is unreadable).

        ChatSessionEnded (kept: a token minted meanwhile is queued for deletion) once the key
        ended.
        """
        row = await self.stored(db, principal.key)
        if row is not None and row.ended_at is not None:
            raise ChatSessionEnded
        sealed = row.sealed if row else None
        current = self.open(sealed)
        if current and not rotate:
            return current
        return await self.keep(db, principal, await self.mint(db, principal), stored=sealed)

    async def owned(self, db: AsyncSession, uid: str) -> set[str]:
        """The tokens of ``uid`` that live keys hold (for the reconciler)."""
        sealed = await db.scalars(
            select(self.slots.sealed).where(self.slots.uid == uid, self.slots.ended_at.is_(None))
        )
        return {token for one in sealed if (token := self.open(one))}

    async def mint(
        self, db: AsyncSession, principal: Principal, *, within: float | None = None
    ) -> str:
        """A new CometChat token, through the circuit breaker and within the deadline.

        The caller must ``keep`` or ``discard`` it: that drops the guard committed here first,
        with what the caller's transaction read (it must not have written yet).
        """
        guard = await self.jobs.guard_mint(db, principal.uid, grace=self._guard_grace)
        token = await self.breaker.call(lambda: self._create_token(principal), within=within)
        self._guards[token] = guard
        return token

    async def discard(self, db: AsyncSession, uid: str, token: str) -> None:
        """Queue deletion of a token minted here and not kept (a lost race)."""
        await self.jobs.delete_token(db, uid, token)
        await self._owned_now(db, token)

    async def _owned_now(self, db: AsyncSession, token: str) -> None:
        """Drop ``token``'s guard in the caller's transaction: saved or queued, it has an owner."""
        guard = self._guards.pop(token, None)
        if guard is not None and not await self.jobs.mint_owned(db, guard):
            # The mint outlasted its grace and the reconciler runs now: it reads after us.
            log.warning("a CometChat token was kept after its guard began to reconcile")

    async def _create_token(self, principal: Principal) -> str:
        """A new CometChat token; a uid with no CometChat user yet gets one now."""
        try:
            return (await self._cometchat.create_auth_token(principal.uid, force=True)).auth_token
        except UserNotFound:
            pass
        # The outbox may create the user at this very moment: either way it then exists.
        with contextlib.suppress(UserAlreadyExists):
            created = await self._cometchat.create_user(
                principal.uid, principal.name, avatar=principal.avatar, with_auth_token=True
            )
            if created.auth_token:
                return created.auth_token
        return (await self._cometchat.create_auth_token(principal.uid, force=True)).auth_token

    async def keep(
        self, db: AsyncSession, principal: Principal, token: str, *, stored: str | None
    ) -> str:
        """Save ``token`` unless the key's token is no longer ``stored``; returns the saved one.

        The token replaced, if any, is queued for deletion. A token that cannot be saved is
        queued for deletion too; then the winner's token is the answer, or ChatSessionEnded.
        """
        slots = self.slots
        await self._owned_now(db, token)
        if slots.owned and stored is None:
            await db.execute(
                dialect_insert(db)(slots.table)
                .values({slots.key.name: principal.key, slots.uid.name: principal.uid})
                .on_conflict_do_nothing()
            )
        saved = await db.execute(
            update(slots.table)
            .where(
                slots.key == principal.key,
                slots.ended_at.is_(None),
                slots.sealed.is_not_distinct_from(stored),
            )
            .values({slots.sealed.name: self.vault.seal(token)})
        )
        if getattr(saved, "rowcount", 0) != 1:
            await self.jobs.delete_token(db, principal.uid, token)
            row = await self.stored(db, principal.key)
            winner = self.open(row.sealed) if row and row.ended_at is None else None
            if winner is None:
                raise kept(ChatSessionEnded())  # the deletion outlives the refusal
            return winner
        self._record(db, Event.COMETCHAT_TOKEN_MINTED, principal.uid, session=principal.key)
        if old := self.open(stored):
            await self.jobs.delete_token(db, principal.uid, old)
            self._record(db, Event.COMETCHAT_TOKEN_REVOKED, principal.uid, session=principal.key)
        return token

    # Ending

    async def end(self, db: AsyncSession, key: str, reason: str) -> str | None:
        """End a key of an owned table (its token's deletion is queued); it never restarts.
        Returns its uid (None for a key never seen, or ended before).

        A key never seen is recorded as ended too: a first token being minted for it right now
        must not outlive it.
        """
        slots = self.slots
        ended = (
            await db.execute(
                update(slots.table)
                .where(slots.key == key, slots.ended_at.is_(None))
                .values({slots.ended_at.name: utcnow()})
                .returning(slots.uid, slots.sealed)
            )
        ).first()
        if ended is None:
            await db.execute(
                dialect_insert(db)(slots.table)
                .values({slots.key.name: key, slots.ended_at.name: utcnow()})
                .on_conflict_do_nothing()
            )
            return None
        uid, sealed = ended
        if uid is not None and sealed is not None:
            await self.revoke(db, uid, [sealed], reason, key=key)
        return uid

    async def sweep(self, db: AsyncSession, *, ended_before: datetime) -> int:
        """Delete the rows of keys ended before ``ended_before`` (owned slots); how many.

        Their tokens' deletions were queued when they ended; the rows only kept the keys ended.
        """
        slots = self.slots
        swept = await db.execute(delete(slots.table).where(slots.ended_at < ended_before))
        return int(getattr(swept, "rowcount", 0))

    async def end_user(self, db: AsyncSession, uid: str, reason: str) -> None:
        """End every key of ``uid`` in an owned table, and flush all of its CometChat tokens."""
        slots = self.slots
        await db.execute(
            update(slots.table)
            .where(slots.uid == uid, slots.ended_at.is_(None))
            .values({slots.ended_at.name: utcnow()})
        )
        await self.flush(db, uid, reason)

    async def revoke(
        self, db: AsyncSession, uid: str, sealed: list[str], reason: str, *, key: str | None = None
    ) -> None:
        """Queue deletion of these sealed tokens; one that no key opens makes all of uid's go."""
        tokens = [token for one in sealed if (token := self.vault.open(one))]
        if len(tokens) < len(sealed):
            await self.flush(db, uid, reason)
            return
        for token in tokens:
            await self.jobs.delete_token(db, uid, token)
            self._record(db, Event.COMETCHAT_TOKEN_REVOKED, uid, session=key, reason=reason)

    async def flush(self, db: AsyncSession, uid: str, reason: str) -> None:
        """Queue deletion of every CometChat token of ``uid``."""
        await self.jobs.flush_tokens(db, uid)
        self._record(db, Event.COMETCHAT_TOKEN_REVOKED, uid, every=True, reason=reason)

    def _record(
        self,
        db: AsyncSession,
        event: Event,
        uid: str,
        *,
        session: str | None = None,
        reason: str | None = None,
        every: bool = False,
    ) -> None:
        if not self._audit:
            return
        details: dict[str, str | bool | None] = {"session": session, "reason": reason}
        if every:
            details["every"] = True
        present = {name: value for name, value in details.items() if value is not None}
        record(db, event, user_id=uid, email=None, **present)
