"""CometChat jobs against the emulator over HTTP: idempotent, ordered, and patient with outages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, func, select

from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.outbox import Outbox
from cometchat_auth.outbox.breaker import CircuitBreaker
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.outbox.models import JobRow
from cometchat_auth.sessions.vault import TokenVault
from cometchat_auth.store import Database, open_database
from tests.support.emulator_view import REST_KEY, emulator_user, set_faults


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with open_database(database_url) as database:
        async with database.sessionmaker() as db:
            await db.execute(delete(JobRow))
            await db.commit()
        yield database


@pytest.fixture
async def client(emulator_url: str) -> AsyncIterator[CometChatClient]:
    async with CometChatClient(
        "testapp", REST_KEY["apikey"], base_url=f"{emulator_url}/v3", timeout=2, deadline=3
    ) as client:
        yield client


def jobs_for(database: Database, client: CometChatClient, **breaker: float) -> CometChatJobs:
    outbox = Outbox(
        database.sessionmaker,
        TokenVault([Fernet.generate_key().decode()]),
        backoff_base=0.05,
        backoff_cap=0.2,
        poll_interval=0.05,
        max_attempts=50,
    )
    options = {"threshold": 5, "reset_after": 0.2, "deadline": 3.0, **breaker}
    return CometChatJobs(
        outbox,
        client,
        CircuitBreaker(
            threshold=int(options["threshold"]),
            reset_after=options["reset_after"],
            deadline=options["deadline"],
        ),
    )


async def drained(database: Database, *, within: float = 60) -> None:
    async with asyncio.timeout(within):
        while True:
            async with database.sessionmaker() as db:
                if not await db.scalar(select(func.count()).select_from(JobRow)):
                    return
            await asyncio.sleep(0.05)


def cometchat_user(emulator_url: str, uid: str) -> dict[str, Any]:
    user = emulator_user(emulator_url, uid)
    assert user is not None, uid
    return user


def cometchat_names(emulator_url: str) -> dict[str, str]:
    listing = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    return {user["uid"]: user["name"] for user in listing.json()["data"]}


async def opened(breaker: CircuitBreaker) -> None:
    async with asyncio.timeout(30):
        while True:
            if await breaker.state() == "opened":
                return
            await asyncio.sleep(0.05)


def uid() -> str:
    return uuid.uuid4().hex


async def test_create_then_update_reach_cometchat_in_order(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    ann = uid()
    async with database.sessionmaker() as db:
        await jobs.create_user(db, ann, name="Ann")
        await jobs.update_user(db, ann, name="Ann B", avatar="https://example.com/a.png")
        await jobs.update_user(db, ann, name="Ann C", avatar=None)
        await db.commit()
    assert await jobs.settle(ann, within=10) is True
    user = cometchat_user(emulator_url, ann)
    assert user["name"] == "Ann C"
    assert "avatar" not in user or not user["avatar"]


async def test_every_job_is_idempotent(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    existing, missing, gone = uid(), uid(), uid()
    await client.create_user(existing, "Old name")
    token = (await client.create_auth_token(existing)).auth_token
    await client.delete_auth_token(existing, token)
    async with database.sessionmaker() as db:
        await jobs.create_user(db, existing, name="New name")  # exists: updated instead
        await jobs.delete_token(db, existing, token)  # already deleted: done
        await jobs.update_user(db, missing, name="Made now", avatar=None)  # missing: created
        await jobs.delete_user(db, gone)  # never existed: done
        await jobs.flush_tokens(db, gone)
        await db.commit()
    async with jobs.outbox.running():
        await drained(database)
    assert cometchat_user(emulator_url, existing)["name"] == "New name"
    assert cometchat_user(emulator_url, missing)["name"] == "Made now"
    assert emulator_user(emulator_url, gone) is None


async def test_tokens_are_deleted_and_users_removed(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    ann, bob = uid(), uid()
    await client.create_user(ann, "Ann")
    await client.create_user(bob, "Bob")
    kept, dropped = [(await client.create_auth_token(ann)).auth_token for _ in range(2)]
    await client.create_auth_token(bob)
    async with database.sessionmaker() as db:
        await jobs.delete_token(db, ann, dropped)
        await jobs.flush_tokens(db, bob)
        await db.commit()
    async with jobs.outbox.running():
        await drained(database)
    tokens = {t["authToken"] for t in cometchat_user(emulator_url, ann)["authTokens"]}
    assert tokens == {kept}
    assert cometchat_user(emulator_url, bob)["authTokens"] == []
    async with database.sessionmaker() as db:
        await jobs.delete_user(db, ann)
        await db.commit()
    async with jobs.outbox.running():
        await drained(database)
    assert emulator_user(emulator_url, ann) is None


async def test_jobs_wait_out_an_outage_and_then_all_land_once(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client, threshold=3)
    set_faults(emulator_url, errorRate=1.0)
    uids = [uid() for _ in range(10)]
    async with database.sessionmaker() as db:
        for n, each in enumerate(uids):
            await jobs.create_user(db, each, name=f"User {n}")
        await db.commit()
    async with jobs.outbox.running():
        await opened(jobs.breaker)
        set_faults(emulator_url, errorRate=0.3, rateLimitRate=0.1, dropRate=0.05)
        await asyncio.sleep(0.5)
        set_faults(emulator_url, errorRate=0, rateLimitRate=0, dropRate=0)
        await drained(database)
    names = cometchat_names(emulator_url)
    assert {each: names.get(each) for each in uids} == {
        each: f"User {n}" for n, each in enumerate(uids)
    }
