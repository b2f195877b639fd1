"""The outbox on SQLite and PostgreSQL: commit-bound jobs, order per key, back-off, leases."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.outbox import Outbox, PermanentFailure, RetryLater, queries
from cometchat_auth.outbox.models import FAILED, JobRow
from cometchat_auth.store import Database
from cometchat_auth.store.models import utcnow
from tests.support.outbox import drained, jobs_left, without_jobs
from tests.support.waiting import eventually_async

VAULT = TokenVault([Fernet.generate_key().decode()])


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with without_jobs(database_url) as database:
        yield database


def outbox_on(
    database: Database, session_class: type[AsyncSession] = AsyncSession, **overrides: Any
) -> Outbox:
    """An outbox with quick back-off and polling, so retries happen within a test; its
    sessions are ``session_class``, for a test that pauses the loop somewhere."""
    options: dict[str, Any] = {
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "poll_interval": 0.05,
        "max_attempts": 5,
    }
    options.update(overrides)
    sessions = async_sessionmaker(**{**database.sessionmaker.kw, "class_": session_class})
    return Outbox(sessions, VAULT, **options)


def noting(
    database: Database, session_class: type[AsyncSession] = AsyncSession
) -> tuple[Outbox, list[int]]:
    """An outbox whose ``test.note`` jobs append their ``n`` to the list it returns."""
    outbox = outbox_on(database, session_class)
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    outbox.register("test.note", handler)
    return outbox, ran


async def test_a_committed_job_runs_and_is_gone(database: Database) -> None:
    outbox = outbox_on(database, poll_interval=30)  # only the commit's wake-up can start it fast
    seen: list[dict[str, Any]] = []

    async def handler(payload: dict[str, Any]) -> None:
        seen.append(payload)

    outbox.register("test.note", handler)
    async with outbox.running():
        async with database.sessionmaker() as db:
            job = await outbox.enqueue(db, "test.note", {"n": 1}, ordering_key="a")
            await db.commit()
        assert job.status == "pending"
        await eventually_async(lambda: bool(seen), within=10)
    assert seen == [{"n": 1}]
    assert await jobs_left(database) == []


async def test_a_rolled_back_job_never_runs(database: Database) -> None:
    outbox, ran = noting(database)
    async with outbox.running():
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.note", {"n": 1})
            await db.rollback()
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.note", {"n": 2})
            await db.commit()
        await eventually_async(lambda: bool(ran))
    assert ran == [2]


async def test_payloads_are_encrypted_at_rest(database: Database) -> None:
    outbox = outbox_on(database)
    async with database.sessionmaker() as db:
        await outbox.enqueue(db, "test.secret", {"token": "tok-very-secret"})
        await db.commit()
    (row,) = await jobs_left(database)
    assert "tok-very-secret" not in row.payload
    assert json.loads(VAULT.open(row.payload) or "") == {"token": "tok-very-secret"}


async def test_jobs_of_one_key_run_in_order_even_through_retries(database: Database) -> None:
    outbox = outbox_on(database, concurrency=8)
    order: dict[str, list[int]] = defaultdict(list)
    failed_once: set[tuple[str, int]] = set()

    async def handler(payload: dict[str, Any]) -> None:
        key, n = payload["key"], payload["n"]
        if n % 3 == 0 and (key, n) not in failed_once:
            failed_once.add((key, n))
            raise RetryLater(after=0.01)
        if n % 4 == 1 and (key, -n) not in failed_once:
            failed_once.add((key, -n))
            raise RuntimeError("CometChat hiccup")
        order[key].append(n)

    outbox.register("test.step", handler)
    keys = ["u1", "u2", "u3"]
    async with database.sessionmaker() as db:
        for n in range(8):
            for key in keys:
                await outbox.enqueue(db, "test.step", {"key": key, "n": n}, ordering_key=key)
        await db.commit()
    async with outbox.running():
        await eventually_async(lambda: sum(map(len, order.values())) == 24)
    assert {key: order[key] for key in keys} == {key: list(range(8)) for key in keys}
    assert await jobs_left(database) == []


async def test_give_up_after_max_attempts_then_retry_from_the_cli(database: Database) -> None:
    outbox = outbox_on(database, max_attempts=3)
    calls: list[int] = []
    healthy = False

    async def handler(payload: dict[str, Any]) -> None:
        calls.append(1)
        if not healthy:
            raise RuntimeError("down")

    outbox.register("test.flaky", handler)
    async with outbox.running():
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.flaky", {})
            await db.commit()

        async def failed() -> bool:
            rows = await jobs_left(database)
            return bool(rows) and rows[0].status == FAILED

        await eventually_async(failed)
        assert len(calls) == 3
        async with database.sessionmaker() as db:
            (job,) = await queries.list_jobs(db)
            assert (job.status, job.attempts, job.last_error) == ("failed", 3, "RuntimeError")
        healthy = True
        async with database.sessionmaker() as db:
            assert await queries.retry(db, job.id) == 1
        await drained(database, within=20)
    assert len(calls) == 4


async def test_permanent_failure_fails_at_once_and_does_not_block_its_key(
    database: Database,
) -> None:
    outbox = outbox_on(database)
    ran: list[str] = []

    async def bad(payload: dict[str, Any]) -> None:
        raise PermanentFailure("refused")

    async def good(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    outbox.register("test.bad", bad)
    outbox.register("test.good", good)
    async with database.sessionmaker() as db:
        await outbox.enqueue(db, "test.bad", {}, ordering_key="k")
        await outbox.enqueue(db, "test.good", {"n": "after"}, ordering_key="k")
        await db.commit()
    async with outbox.running():
        await eventually_async(lambda: ran == ["after"])
    (row,) = await jobs_left(database)
    assert (row.kind, row.status, row.attempts) == ("test.bad", FAILED, 1)


async def test_a_job_held_by_a_dead_worker_runs_after_its_lease(database: Database) -> None:
    async with database.sessionmaker() as db:
        await outbox_on(database).enqueue(db, "test.note", {"n": 1})
        await db.commit()
    # A worker claims it and dies (kill -9): nothing settles the job.
    async with database.sessionmaker() as db:
        (held,) = await queries.claim(db, lease=0.5, limit=10)
        await db.commit()
    async with database.sessionmaker() as db:
        assert await queries.claim(db, lease=0.5, limit=10) == []  # nobody else takes it meanwhile

    outbox, ran = noting(database)
    async with outbox.running():
        await eventually_async(lambda: ran == [1])
    assert held.attempts == 1
    assert await jobs_left(database) == []


async def test_two_workers_share_the_jobs_each_runs_once_in_order(database: Database) -> None:
    runs: dict[int, int] = defaultdict(int)
    order: dict[str, list[int]] = defaultdict(list)

    async def handler(payload: dict[str, Any]) -> None:
        runs[payload["n"]] += 1
        order[payload["key"]].append(payload["n"])
        await asyncio.sleep(0.001)

    first, second = outbox_on(database, concurrency=4), outbox_on(database, concurrency=4)
    for outbox in (first, second):
        outbox.register("test.step", handler)
    async with database.sessionmaker() as db:
        for n in range(40):
            key = f"k{n % 5}"
            await first.enqueue(db, "test.step", {"key": key, "n": n}, ordering_key=key)
        await db.commit()
    async with first.running(), second.running():
        await drained(database, within=20)
    assert runs == dict.fromkeys(range(40), 1)
    for key, seen in order.items():
        assert seen == sorted(seen), key


async def test_run_now_finishes_a_key_inline_or_says_it_could_not(database: Database) -> None:
    outbox = outbox_on(database, backoff_base=30, backoff_cap=30)
    up = True

    async def handler(payload: dict[str, Any]) -> None:
        if not up:
            raise RuntimeError("down")

    outbox.register("test.sync", handler)
    async with database.sessionmaker() as db:
        await outbox.enqueue(db, "test.sync", {}, ordering_key="ann")
        await outbox.enqueue(db, "test.sync", {}, ordering_key="ann")
        await outbox.enqueue(db, "test.sync", {}, ordering_key="bob")
        await db.commit()
    assert await outbox.run_now("ann", within=10) is True
    assert [row.ordering_key for row in await jobs_left(database)] == ["bob"]
    up = False
    assert await outbox.run_now("bob", within=10) is False
    (row,) = await jobs_left(database)
    assert (row.ordering_key, row.attempts, row.last_error) == ("bob", 1, "RuntimeError")
    assert await outbox.run_now("bob", within=10) is False  # waiting out its back-off: not run
    (row,) = await jobs_left(database)
    assert row.attempts == 1


async def test_an_unknown_kind_or_unreadable_payload_fails_the_job(database: Database) -> None:
    outbox = outbox_on(database)
    stranger = Outbox(database.sessionmaker, TokenVault([Fernet.generate_key().decode()]))
    seen: list[Any] = []

    async def handler(payload: dict[str, Any]) -> None:
        seen.append(payload)

    outbox.register("test.known", handler)
    async with database.sessionmaker() as db:
        await outbox.enqueue(db, "test.unknown", {})
        await stranger.enqueue(db, "test.known", {})  # sealed with a key this server lacks
        await db.commit()
    async with outbox.running():

        async def both_failed() -> bool:
            return [row.status for row in await jobs_left(database)] == [FAILED, FAILED]

        await eventually_async(both_failed)
    assert seen == []


async def test_a_heartbeat_keeps_a_slow_job_from_a_second_worker(database: Database) -> None:
    runs: list[int] = []

    async def slow(payload: dict[str, Any]) -> None:
        runs.append(payload["n"])
        await asyncio.sleep(4)  # over two leases long

    first, second = outbox_on(database, lease=1.5), outbox_on(database, lease=1.5)
    for outbox in (first, second):
        outbox.register("test.slow", slow)
    async with database.sessionmaker() as db:
        await first.enqueue(db, "test.slow", {"n": 1})
        await db.commit()
    async with first.running(), second.running():
        await drained(database, within=20)
    assert runs == [1]  # never taken from the live worker that held it


async def test_run_now_leaves_another_process_its_job_and_takes_it_once_the_lease_is_over(
    database: Database,
) -> None:
    outbox, ran = noting(database)
    async with database.sessionmaker() as db:
        await outbox.enqueue(db, "test.note", {"n": 7}, ordering_key="ann")
        await db.commit()
    # Another process holds it (a lease that is not this outbox's): a request (a login, a
    # logout) answers at once rather than wait on it; its holder runs it.
    async with database.sessionmaker() as db:
        await queries.claim(db, lease=60, limit=1)
        await db.commit()
    assert await outbox.run_now("ann", within=60) is False
    assert ran == []
    # That process died (kill -9): once its lease has run out, the next request runs the job.
    async with database.sessionmaker() as db:
        await db.execute(update(JobRow).values(locked_until=utcnow()))
        await db.commit()
    assert await outbox.run_now("ann", within=10) is True
    assert ran == [7]


async def test_run_now_waits_for_a_job_its_own_worker_has_just_claimed(
    database: Database,
) -> None:
    """The worker's claim is committed, and the loop runs a request before the worker goes on:
    the lease is this process's, so the request waits for the job rather than answer without
    it (a sign-in then came without its CometChat token)."""
    claimed = asyncio.Event()

    class PausingAfterCommit(AsyncSession):
        async def commit(self) -> None:
            await super().commit()
            claimed.set()
            await asyncio.sleep(0.5)

    outbox, ran = noting(database, PausingAfterCommit)
    async with outbox.running():
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.note", {"n": 7}, ordering_key="ann")
            await db.commit()
        await claimed.wait()
        assert await outbox.run_now("ann", within=10) is True
    assert ran == [7]


async def test_run_now_looks_again_when_its_worker_ends_the_job_while_it_reads(
    database: Database,
) -> None:
    """The request reads the job as held; before the answer reaches it, the worker finishes
    the job and lets it go: the read is out of date, not another process's lease."""
    started, finish = asyncio.Event(), asyncio.Event()
    slow_read = False

    class ReadArrivingLate(AsyncSession):
        async def scalar(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal slow_read
            found = await super().scalar(*args, **kwargs)
            if slow_read:
                slow_read = False
                finish.set()
                await asyncio.sleep(0.5)  # the worker ends the job meanwhile
            return found

    outbox = outbox_on(database, ReadArrivingLate)
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        started.set()
        await finish.wait()
        ran.append(payload["n"])

    outbox.register("test.note", handler)
    async with outbox.running():
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.note", {"n": 7}, ordering_key="ann")
            await db.commit()
        await started.wait()
        slow_read = True
        assert await outbox.run_now("ann", within=10) is True
    assert ran == [7]


async def test_run_now_sees_through_a_job_its_own_worker_holds(database: Database) -> None:
    outbox = outbox_on(database)
    started, release = asyncio.Event(), asyncio.Event()

    async def handler(payload: dict[str, Any]) -> None:
        started.set()
        await release.wait()

    outbox.register("test.held", handler)
    async with outbox.running():
        async with database.sessionmaker() as db:
            await outbox.enqueue(db, "test.held", {}, ordering_key="ann")
            await db.commit()
        await asyncio.wait_for(started.wait(), 10)
        request = asyncio.create_task(outbox.run_now("ann", within=60))
        await asyncio.sleep(0.2)
        assert not request.done()  # its worker has the job: the request waits for its end
        release.set()
        assert await asyncio.wait_for(request, 10) is True
    assert await jobs_left(database) == []
