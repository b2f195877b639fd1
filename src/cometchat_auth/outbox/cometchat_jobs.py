"""CometChat's side of accounts and sessions, as outbox jobs: queued with the change, run later.

Every handler is idempotent, because a job may run twice (a lost answer, a worker that died):
creating a user that exists updates it, updating one that is missing creates it, and deleting
what is already gone is done. The user jobs carry only the uid and send the account's profile as
it is when they run, so a retried old job (an operator's ``outbox retry``) never writes an old
name back over a newer one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.cometchat import (
    AuthTokenNotFound,
    BadRequest,
    CometChatClient,
    RateLimited,
    UserAlreadyExists,
    UserNotFound,
)
from cometchat_auth.outbox import queries
from cometchat_auth.outbox.breaker import CircuitBreaker, CircuitOpen
from cometchat_auth.outbox.errors import PermanentFailure, RetryLater
from cometchat_auth.outbox.models import Job
from cometchat_auth.outbox.worker import Handler, Outbox
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import utcnow

CREATE_USER = "cometchat.create_user"
UPDATE_USER = "cometchat.update_user"
DELETE_USER = "cometchat.delete_user"
#: Create or update a user whose profile is not ours (the plug-in's, the exchange's): it travels
#: in the payload.
SYNC_PROFILE = "cometchat.sync_profile"
DEACTIVATE_USER = "cometchat.deactivate_user"
REACTIVATE_USER = "cometchat.reactivate_user"
DELETE_TOKEN = "cometchat.delete_token"  # noqa: S105 (a job kind, not a secret)
FLUSH_TOKENS = "cometchat.flush_tokens"
RECONCILE_TOKENS = "cometchat.reconcile_tokens"

#: The tokens of a uid that live keys hold (each table of chat sessions adds one).
Owner = Callable[[AsyncSession, str], Awaitable[set[str]]]


class CometChatJobs:
    """Queues CometChat changes in the caller's transaction, ordered per user, and runs them."""

    def __init__(self, outbox: Outbox, client: CometChatClient, breaker: CircuitBreaker) -> None:
        self.outbox = outbox
        self._client = client
        self.breaker = breaker
        for kind, handler in (
            (CREATE_USER, self._create_user),
            (UPDATE_USER, self._update_user),
            (DELETE_USER, self._delete_user),
            (SYNC_PROFILE, self._sync_profile),
            (DEACTIVATE_USER, self._deactivate_user),
            (REACTIVATE_USER, self._reactivate_user),
            (DELETE_TOKEN, self._delete_token),
            (FLUSH_TOKENS, self._flush_tokens),
            (RECONCILE_TOKENS, self._reconcile_tokens),
        ):
            outbox.register(kind, handler)
        self._owners: list[Owner] = []

    def add_owner(self, owner: Owner) -> None:
        """Count the tokens ``owner`` holds as owned when a mint is reconciled."""
        self._owners.append(owner)

    # Queueing, in the caller's transaction

    async def create_user(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, CREATE_USER, {"uid": uid}, ordering_key=uid)

    async def bulk(self, db: AsyncSession, kind: str, uids: Iterable[str]) -> int:
        """One job of ``kind`` (a user kind: create, update, delete) per uid, with one insert:
        an import or a sync queues thousands."""
        return await self.outbox.enqueue_many(db, kind, (({"uid": uid}, uid) for uid in uids))

    async def update_user(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, UPDATE_USER, {"uid": uid}, ordering_key=uid)

    async def sync_profile(
        self, db: AsyncSession, uid: str, name: str, avatar: str | None = None
    ) -> Job:
        """Create or update the CometChat user with this profile (an app's own users)."""
        payload = {"uid": uid, "name": name, "avatar": avatar}
        return await self.outbox.enqueue(db, SYNC_PROFILE, payload, ordering_key=uid)

    async def delete_user(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, DELETE_USER, {"uid": uid}, ordering_key=uid)

    async def deactivate_user(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, DEACTIVATE_USER, {"uid": uid}, ordering_key=uid)

    async def reactivate_user(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, REACTIVATE_USER, {"uid": uid}, ordering_key=uid)

    async def delete_token(self, db: AsyncSession, uid: str, token: str) -> Job:
        payload = {"uid": uid, "token": token}
        return await self.outbox.enqueue(db, DELETE_TOKEN, payload, ordering_key=uid)

    async def flush_tokens(self, db: AsyncSession, uid: str) -> Job:
        return await self.outbox.enqueue(db, FLUSH_TOKENS, {"uid": uid}, ordering_key=uid)

    # Minting with no orphan: a guard committed before the call, dropped with the token's save

    async def guard_mint(self, db: AsyncSession, uid: str, *, grace: float) -> int:
        """Commit, before minting a token for ``uid``, a job that reconciles the user's tokens
        after ``grace`` seconds; returns its id for ``mint_owned``.

        Should the process die or the database fail anywhere around the mint, the job stays and
        deletes in CometChat every token of the user that no live key owns.

        It commits the caller's transaction, which has read but not written (callers mint before
        their first write): the request then holds no pooled connection while CometChat answers,
        and never waits for a second one while holding its first (requests minting at once, more
        than the pool holds, starved it until its timeout).
        """
        job = await self.outbox.enqueue(
            db, RECONCILE_TOKENS, {"uid": uid}, ordering_key=_reconciling(uid), delay=grace
        )
        await db.commit()
        return job.id

    async def mint_owned(self, db: AsyncSession, guard: int) -> bool:
        """Drop the guard in the transaction that saves the minted token (or queues its deletion).

        False when the guard is already running (the mint outlasted its grace): the token may be
        deleted any moment, so the caller must not hand it out.
        """
        return await queries.cancel(db, guard, rows=self.outbox.rows)

    async def waiting(self, db: AsyncSession, uid: str) -> bool:
        """Whether the user has queued jobs, looked up in the caller's transaction."""
        return await queries.first_pending(db, uid, rows=self.outbox.rows) is not None

    async def settle(self, uid: str, *, within: float | None = None) -> bool:
        """Run the user's queued jobs now (within the deadline); True when CometChat is in step.

        Requests call it after their commit, so that while CometChat is well it is in step by the
        time they answer; while it is not, the worker takes over.
        """
        return await self.outbox.run_now(uid, within=within or self.breaker.deadline)

    # Running

    async def _call(self, operation: Callable[[], Awaitable[Any]]) -> None:
        try:
            await self.breaker.call(operation)
        except (CircuitOpen, RateLimited) as exc:
            raise RetryLater(exc.retry_after or 0.0) from None
        except BadRequest as exc:
            # CometChat refuses the data itself: sending it again cannot help.
            raise PermanentFailure(f"CometChat refused the request ({exc.code})") from None

    async def _create(self, profile: dict[str, Any]) -> None:
        await self._call(
            lambda: self._client.create_user(
                profile["uid"], profile["name"], avatar=profile["avatar"]
            )
        )

    async def _update(self, profile: dict[str, Any]) -> None:
        await self._call(
            lambda: self._client.update_user(
                profile["uid"],
                name=profile["name"],
                avatar=profile["avatar"],
                unset=("avatar",) if profile["avatar"] is None else (),
            )
        )

    async def _upsert(self, payload: dict[str, Any], steps: tuple[Handler, ...]) -> None:
        async with self.outbox.sessionmaker() as db:
            user = await db.get(UserRow, payload["uid"])
        if user is None:
            return  # the account is gone; its delete job, queued after this one, follows
        await self._apply({"uid": user.id, "name": user.name, "avatar": user.avatar}, steps)

    async def _apply(self, profile: dict[str, Any], steps: tuple[Handler, ...]) -> None:
        for step in steps:
            try:
                await step(profile)
                return
            except (UserAlreadyExists, UserNotFound):
                continue
        # Exists for create yet missing for update: a deactivated user, which needs a person.
        raise PermanentFailure("the CometChat user can be neither created nor updated")

    async def _sync_profile(self, payload: dict[str, Any]) -> None:
        await self._apply(payload, (self._update, self._create))

    async def _create_user(self, payload: dict[str, Any]) -> None:
        await self._upsert(payload, (self._create, self._update))

    async def _update_user(self, payload: dict[str, Any]) -> None:
        await self._upsert(payload, (self._update, self._create))

    async def _delete_user(self, payload: dict[str, Any]) -> None:
        with contextlib.suppress(UserNotFound):  # already gone
            await self._call(lambda: self._client.delete_user(payload["uid"], permanent=True))

    async def _deactivate_user(self, payload: dict[str, Any]) -> None:
        # Missing: already deactivated (a second run), or never created; either way not active.
        with contextlib.suppress(UserNotFound):
            await self._call(lambda: self._client.delete_user(payload["uid"], permanent=False))

    async def _reactivate_user(self, payload: dict[str, Any]) -> None:
        # Reactivating an active user changes nothing: a second run is harmless.
        await self._call(lambda: self._client.reactivate_users([payload["uid"]]))

    async def _delete_token(self, payload: dict[str, Any]) -> None:
        # Already gone, or gone with its user: done either way.
        with contextlib.suppress(AuthTokenNotFound, UserNotFound):
            await self._call(
                lambda: self._client.delete_auth_token(payload["uid"], payload["token"])
            )

    async def _flush_tokens(self, payload: dict[str, Any]) -> None:
        with contextlib.suppress(UserNotFound):
            await self._call(lambda: self._client.flush_auth_tokens(payload["uid"]))

    async def _reconcile_tokens(self, payload: dict[str, Any]) -> None:
        """Delete the user's tokens in CometChat that no live key owns (a mint's orphans).

        CometChat is listed first, the database read after: a token minted after the listing is
        not in it, and a mint in flight before the read still has its guard pending (not due):
        then this waits for that guard, or its save, rather than delete a token about to be saved.
        """
        uid = payload["uid"]
        listed: set[str] = set()

        async def listing() -> None:
            listed.update([token.auth_token async for token in self._client.list_auth_tokens(uid)])

        with contextlib.suppress(UserNotFound):  # no user, no token
            await self._call(listing)
        async with self.outbox.sessionmaker() as db:
            in_flight = await queries.last_not_due(db, _reconciling(uid), rows=self.outbox.rows)
            owned: set[str] = set()
            for owner in self._owners:
                owned |= await owner(db, uid)
        if in_flight is not None:
            raise RetryLater(max(0.0, (in_flight - utcnow()).total_seconds()))
        for orphan in listed - owned:
            await self._delete_token({"uid": uid, "token": orphan})


def _reconciling(uid: str) -> str:
    """The guards' ordering key: apart from the user's own jobs, which must not wait on them."""
    return f"reconcile:{uid}"
