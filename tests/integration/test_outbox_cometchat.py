"""CometChat jobs against the emulator over HTTP: idempotent, ordered, and patient with outages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.outbox import Outbox, queries
from cometchat_auth.outbox.breaker import CircuitBreaker
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.store import Database, UserRow
from tests.support.emulator_view import REST_KEY, emulator_user, set_faults
from tests.support.outbox import drained, without_jobs
from tests.support.waiting import eventually_async


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with without_jobs(database_url) as database:
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


def cometchat_user(emulator_url: str, uid: str) -> dict[str, Any]:
    user = emulator_user(emulator_url, uid)
    assert user is not None, uid
    return user


def cometchat_names(emulator_url: str) -> dict[str, str]:
    listing = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    return {user["uid"]: user["name"] for user in listing.json()["data"]}


async def opened(breaker: CircuitBreaker) -> bool:
    return await breaker.state() == "opened"


def uid() -> str:
    return uuid.uuid4().hex


async def save_account(database: Database, uid: str, name: str, avatar: str | None = None) -> None:
    """The account as the update job will read it: insert it, or change its profile."""
    async with database.sessionmaker() as db:
        user = await db.get(UserRow, uid) or UserRow(
            id=uid, email=f"{uid}@example.com", email_key=f"{uid}@example.com", password_hash="x"
        )
        user.name, user.avatar = name, avatar
        db.add(user)
        await db.commit()


async def test_create_then_update_reach_cometchat_in_order(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    ann = uid()
    await save_account(database, ann, "Ann", "https://example.com/a.png")
    async with database.sessionmaker() as db:
        await jobs.create_user(db, ann)
        await db.commit()
    await save_account(database, ann, "Ann C")
    async with database.sessionmaker() as db:
        await jobs.update_user(db, ann)
        await db.commit()
    assert await jobs.settle(ann, within=10) is True
    user = cometchat_user(emulator_url, ann)
    assert user["name"] == "Ann C"
    assert "avatar" not in user or not user["avatar"]


async def test_an_old_rename_retried_after_a_newer_one_keeps_the_newest_name(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    ann = uid()
    await client.create_user(ann, "Ann")
    await save_account(database, ann, "Ann B")
    async with database.sessionmaker() as db:
        old = await jobs.update_user(db, ann)
        await db.commit()
        await queries.fail(db, old.id, error="CometChat was out")  # as a worker gives up
    await save_account(database, ann, "Ann C", "https://example.com/c.png")
    async with database.sessionmaker() as db:
        await jobs.update_user(db, ann)
        await db.commit()
    assert await jobs.settle(ann, within=10) is True
    assert cometchat_user(emulator_url, ann)["name"] == "Ann C"
    async with database.sessionmaker() as db:
        assert await queries.retry(db, old.id) == 1  # the operator retries the old rename
    assert await jobs.settle(ann, within=10) is True
    user = cometchat_user(emulator_url, ann)
    assert (user["name"], user["avatar"]) == ("Ann C", "https://example.com/c.png")


async def test_every_job_is_idempotent(
    database: Database, client: CometChatClient, emulator_url: str
) -> None:
    jobs = jobs_for(database, client)
    existing, missing, gone = uid(), uid(), uid()
    await client.create_user(existing, "Old name")
    token = (await client.create_auth_token(existing)).auth_token
    await client.delete_auth_token(existing, token)
    await save_account(database, existing, "New name")
    await save_account(database, missing, "Made now")
    async with database.sessionmaker() as db:
        await jobs.create_user(db, existing)  # exists: updated instead
        await jobs.delete_token(db, existing, token)  # already deleted: done
        await jobs.update_user(db, missing)  # missing: created
        await jobs.create_user(db, gone)  # no account (deleted before it ran): nothing to create
        await jobs.update_user(db, gone)
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
    for n, each in enumerate(uids):
        await save_account(database, each, f"User {n}")
    async with database.sessionmaker() as db:
        for each in uids:
            await jobs.create_user(db, each)
        await db.commit()
    async with jobs.outbox.running():
        await eventually_async(lambda: opened(jobs.breaker), within=30, every=0.05)
        set_faults(emulator_url, errorRate=0.3, rateLimitRate=0.1, dropRate=0.05)
        await asyncio.sleep(0.5)
        set_faults(emulator_url, errorRate=0, rateLimitRate=0, dropRate=0)
        await drained(database)
    names = cometchat_names(emulator_url)
    assert {each: names.get(each) for each in uids} == {
        each: f"User {n}" for n, each in enumerate(uids)
    }
