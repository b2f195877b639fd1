"""The outbox: jobs written in the caller's transaction, run after commit by a worker.

A job runs at least once (a worker that dies mid-job loses its lease and another takes the job),
so handlers are idempotent. Leases are short and renewed by a heartbeat while the job runs: a
live worker keeps a slow job, and a dead one's job is free again within one lease. Jobs sharing
an ordering key run one at a time, oldest first; others run side by side, up to ``concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from cometchat_auth.cometchat.retries import backoff
from cometchat_auth.outbox import queries
from cometchat_auth.outbox.errors import PermanentFailure, RetryLater
from cometchat_auth.outbox.models import PENDING, Job, JobColumns, JobRow, Rows
from cometchat_auth.outbox.queries import Claimed
from cometchat_auth.store.models import utcnow

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

_WAKE_ON_COMMIT = "cometchat_auth.outbox.wake"


class Sealer(Protocol):
    """Encryption at rest for payloads (the server's token vault): they carry tokens and links."""

    def seal(self, token: str) -> str: ...

    def open(self, sealed: str) -> str | None: ...


def describe(exc: BaseException) -> str:
    """An error's type and code: safe to store and log, unlike its message."""
    code = getattr(exc, "code", None)
    text = f"{type(exc).__name__} {code}" if isinstance(code, str) else type(exc).__name__
    return text[:200]


class Outbox:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        vault: Sealer,
        *,
        concurrency: int = 8,
        lease: float = 6.0,
        job_timeout: float = 60.0,
        max_attempts: int = 15,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        poll_interval: float = 1.0,
        rows: Rows = JobRow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self._vault = vault
        self._handlers: dict[str, Handler] = {}
        self._concurrency = concurrency
        self._lease = lease
        self._job_timeout = job_timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._poll = poll_interval
        #: The table the jobs live in (the plug-in has its own, under a prefix).
        self.rows = rows
        self._wake = asyncio.Event()
        #: The jobs this process holds (claimed, not yet settled), each with its end.
        self._held: dict[int, asyncio.Event] = {}
        #: How many holds this process has let go: a read that spans one may be out of date.
        self._releases = 0
        self._jitter: Callable[[], float] = random.random

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of job this outbox runs."""
        return tuple(self._handlers)

    def register(self, kind: str, handler: Handler) -> None:
        """Say how to run jobs of ``kind``; done once at start-up."""
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._handlers[kind] = handler

    async def enqueue(
        self,
        db: AsyncSession,
        kind: str,
        payload: dict[str, Any],
        *,
        ordering_key: str | None = None,
        delay: float = 0.0,
    ) -> Job:
        """Add a job in the caller's transaction: nothing runs unless and until it commits, nor
        before ``delay`` seconds have passed."""
        row = self._row(kind, payload, ordering_key, delay)
        db.add(row)
        await db.flush()
        self._wake_on_commit(db)
        return Job.of(row)

    async def enqueue_many(
        self, db: AsyncSession, kind: str, jobs: Iterable[tuple[dict[str, Any], str | None]]
    ) -> int:
        """Add many jobs of one kind (payload, ordering key) with one flush; how many."""
        now = utcnow()
        rows = [
            {
                "kind": kind,
                "payload": self._vault.seal(json.dumps(payload)),
                "ordering_key": key,
                "status": PENDING,
                "attempts": 0,
                "run_after": now,
            }
            for payload, key in jobs
        ]
        if rows:
            # One executemany: an import queues thousands, and ORM objects would cost each one.
            await db.execute(insert(self.rows), rows)
            self._wake_on_commit(db)
        return len(rows)

    def _row(
        self, kind: str, payload: dict[str, Any], ordering_key: str | None, delay: float = 0.0
    ) -> JobColumns:
        return self.rows(
            kind=kind,
            payload=self._vault.seal(json.dumps(payload)),
            ordering_key=ordering_key,
            status=PENDING,
            attempts=0,
            run_after=utcnow() + timedelta(seconds=delay),
        )

    def _wake_on_commit(self, db: AsyncSession) -> None:
        if not db.info.get(_WAKE_ON_COMMIT):
            # The fast path: the worker starts on the job the moment it is committed.
            event.listen(db.sync_session, "after_commit", self._committed)
            db.info[_WAKE_ON_COMMIT] = True

    def _committed(self, session: Session) -> None:
        self._wake.set()

    @contextlib.asynccontextmanager
    async def running(self, *, grace: float = 5.0) -> AsyncIterator[None]:
        """Run the worker for the life of the block; jobs still running at the end get ``grace``."""
        running: set[asyncio.Task[bool]] = set()
        worker = asyncio.create_task(self._work(running), name="outbox-worker")
        try:
            yield
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            if running:
                # A job cut short keeps its lease and runs again once the lease is over.
                _, late = await asyncio.wait(running, timeout=grace)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    async def _work(self, running: set[asyncio.Task[bool]]) -> None:
        while True:
            self._wake.clear()
            free = self._concurrency - len(running)
            if free > 0:
                for job in await self._claim(limit=free):
                    task = asyncio.create_task(self._execute(job))
                    running.add(task)
                    task.add_done_callback(running.discard)
                    # A finished job may be what the next job of its ordering key waits for.
                    task.add_done_callback(lambda _: self._wake.set())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def _claim(self, *, limit: int, ordering_key: str | None = None) -> list[Claimed]:
        try:
            async with self.sessionmaker() as db:
                claimed = await queries.claim(
                    db, lease=self._lease, limit=limit, ordering_key=ordering_key, rows=self.rows
                )
                # Held before the lease can be seen: ``run_now`` then waits for this process's
                # job rather than take it for another process's.
                for job in claimed:
                    self._held[job.id] = asyncio.Event()
                try:
                    await db.commit()
                except BaseException:
                    self._release(claimed)
                    raise
        except Exception as exc:
            # The database may be briefly busy or away: try again at the next poll.
            log.warning("outbox could not claim jobs: %s", describe(exc))
            return []
        return claimed

    def _release(self, jobs: list[Claimed]) -> None:
        """Settle this process's hold on ``jobs``: whoever waits on one looks again."""
        for job in jobs:
            if (held := self._held.pop(job.id, None)) is not None:
                self._releases += 1
                held.set()

    async def run_now(self, ordering_key: str, *, within: float) -> bool:
        """Run an ordering key's due jobs in this task for ``within`` s; True once none is left.

        A request uses it to finish its own jobs before answering, while CometChat is quick. A
        job this process holds (its worker took it first) is waited for; one another process
        holds is not: that process finishes it, and the request answers at once (False).
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        missed = False
        while (remaining := end - loop.time()) > 0:
            released = self._releases
            # A look first: most requests have no job left, and that costs one query.
            try:
                async with self.sessionmaker() as db:
                    head = await queries.first_pending(db, ordering_key, rows=self.rows)
            except Exception as exc:
                # The jobs are safe in the table; the worker carries on where this stops.
                log.warning("outbox could not look at %s's jobs: %s", ordering_key, describe(exc))
                return False
            if head is None:
                return True
            now = utcnow()
            if head.locked_until is not None and head.locked_until > now:
                held = self._held.get(head.id)
                if held is None:
                    if self._releases != released:
                        continue  # this process let a job go while the read was on its way
                    return False  # another process's: it runs the job (or its lease runs out)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await held.wait()
                continue
            if head.run_after > now:
                return False  # waiting out a back-off
            claimed = await self._claim(limit=1, ordering_key=ordering_key)
            if claimed:
                missed = False
                if not await self._execute(claimed[0], budget=remaining):
                    return False
                continue
            if missed:
                # Twice taken from under us, with no lease seen: a claim in flight elsewhere.
                await asyncio.sleep(min(0.05, remaining))
            missed = not missed
        return False

    async def _execute(self, job: Claimed, *, budget: float | None = None) -> bool:
        """Run one claimed job and settle it; True when it is done."""
        try:
            return await self._run(job, budget)
        finally:
            self._release([job])

    async def _run(self, job: Claimed, budget: float | None) -> bool:
        handler = self._handlers.get(job.kind)
        payload = self._vault.open(job.payload)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for {job.kind}")
            if payload is None:
                raise PermanentFailure("no key opens the payload")
            async with self._heartbeat(job), asyncio.timeout(budget or self._job_timeout):
                await handler(json.loads(payload))
        except PermanentFailure as exc:
            log.error("outbox job %d (%s) failed for good: %s", job.id, job.kind, exc)
            await self._settle(
                partial(queries.fail, job_id=job.id, error=describe(exc), rows=self.rows)
            )
            return False
        except Exception as exc:
            floor = exc.after if isinstance(exc, RetryLater) else 0.0
            await self._retry(job, describe(exc), floor)
            return False
        await self._settle(partial(queries.finish, job_id=job.id, rows=self.rows))
        return True

    @contextlib.asynccontextmanager
    async def _heartbeat(self, job: Claimed) -> AsyncIterator[None]:
        """Renew ``job``'s lease every third of it while the block runs."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self._lease / 3)
                try:
                    async with self.sessionmaker() as db:
                        if not await queries.renew(db, job, lease=self._lease, rows=self.rows):
                            log.warning("outbox job %d: lease lost to another worker", job.id)
                            return
                except Exception as exc:
                    # The database away: the lease may run out, and the job run again elsewhere.
                    log.warning("outbox job %d: lease not renewed: %s", job.id, describe(exc))

        beating = asyncio.create_task(beat(), name=f"outbox-heartbeat-{job.id}")
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _retry(self, job: Claimed, error: str, floor: float) -> None:
        if job.attempts >= self._max_attempts:
            log.error("outbox job %d (%s) gave up: %s", job.id, job.kind, error)
            await self._settle(partial(queries.fail, job_id=job.id, error=error, rows=self.rows))
            return
        # Equal jitter: spread out, yet never much sooner than the back-off step.
        delay = backoff(
            job.attempts,
            base=self._backoff_base,
            cap=self._backoff_cap,
            jitter=0.5 + self._jitter() / 2,
        )
        delay = max(delay, floor)
        log.warning(
            "outbox job %d (%s) attempt %d: %s; again in %.1f s",
            job.id,
            job.kind,
            job.attempts,
            error,
            delay,
        )
        await self._settle(
            partial(queries.reschedule, job_id=job.id, delay=delay, error=error, rows=self.rows)
        )

    async def _settle(self, change: Callable[[AsyncSession], Awaitable[None]]) -> None:
        # Should the database be away, the lease runs out and the job runs again (idempotently).
        try:
            async with self.sessionmaker() as db:
                await change(db)
        except Exception as exc:
            log.warning("outbox could not record a job's outcome: %s", describe(exc))
