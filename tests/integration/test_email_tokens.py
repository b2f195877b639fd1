"""Mailed tokens on SQLite and PostgreSQL: hashed, single use, expiring, bound to the account."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from cometchat_auth.accounts import email_tokens
from cometchat_auth.accounts.email_tokens import EmailTokenRow
from cometchat_auth.errors import (
    DomainError,
    EmailTokenExpired,
    EmailTokenInvalid,
    EmailTokenOutdated,
    EmailTokenUsed,
)
from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import Database, UserRow, open_database

DAY = 24 * 3600.0


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with open_database(database_url) as opened:
        yield opened


async def new_user(database: Database) -> UserRow:
    key = f"{uuid.uuid4().hex}@example.com"
    async with database.sessionmaker() as db:
        user = UserRow(
            id=uuid.uuid4().hex,
            email=key,
            email_key=key,
            name="Ann",
            password_hash="$argon2id$v=19$m=64,t=1,p=1$first",
            email_verified=False,
        )
        db.add(user)
        await db.commit()
        return user


async def issue(
    database: Database, user: UserRow, purpose: email_tokens.Purpose = "reset", ttl: float = DAY
) -> str:
    async with database.sessionmaker() as db:
        token = await email_tokens.issue(db, user, purpose, ttl=ttl)
        await db.commit()
        return token


async def consume(
    database: Database, token: str, purpose: email_tokens.Purpose = "reset"
) -> UserRow:
    async with database.sessionmaker() as db:
        user = await email_tokens.consume(db, token, purpose)
        await db.commit()
        return user


async def refused(
    database: Database, token: str, purpose: email_tokens.Purpose = "reset"
) -> type[DomainError]:
    with pytest.raises(DomainError) as error:
        await consume(database, token, purpose)
    return type(error.value)


async def test_a_token_is_long_random_and_stored_only_hashed(database: Database) -> None:
    user = await new_user(database)
    tokens = {await issue(database, user) for _ in range(3)}
    assert len(tokens) == 3
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes, base64url: 256 bits
    async with database.sessionmaker() as db:
        stored = set(await db.scalars(select(EmailTokenRow.token_hash)))
    assert not tokens & stored


async def test_a_token_opens_its_account_once(database: Database) -> None:
    user = await new_user(database)
    token = await issue(database, user)
    assert (await consume(database, token)).id == user.id
    assert await refused(database, token) is EmailTokenUsed


async def test_an_expired_token_is_refused(database: Database) -> None:
    token = await issue(database, await new_user(database), ttl=0.001)
    await asyncio.sleep(0.01)
    assert await refused(database, token) is EmailTokenExpired


async def test_a_token_dies_when_the_password_changes(database: Database) -> None:
    user = await new_user(database)
    token = await issue(database, user)
    async with database.sessionmaker() as db:
        row = await db.get(UserRow, user.id)
        assert row is not None
        row.password_hash = "$argon2id$v=19$m=64,t=1,p=1$second"
        await db.commit()
    assert await refused(database, token) is EmailTokenOutdated


async def test_a_token_dies_when_the_email_changes(database: Database) -> None:
    user = await new_user(database)
    token = await issue(database, user, "verify")
    async with database.sessionmaker() as db:
        row = await db.get(UserRow, user.id)
        assert row is not None
        row.email = row.email_key = f"{uuid.uuid4().hex}@example.com"
        await db.commit()
    assert await refused(database, token, "verify") is EmailTokenOutdated


async def test_a_token_only_serves_its_purpose(database: Database) -> None:
    user = await new_user(database)
    verify = await issue(database, user, "verify")
    assert await refused(database, verify, "reset") is EmailTokenInvalid
    assert (await consume(database, verify, "verify")).id == user.id


async def test_an_unknown_token_is_invalid(database: Database) -> None:
    assert await refused(database, "not-a-token-we-ever-sent-anyone") is EmailTokenInvalid


async def test_of_two_racing_uses_exactly_one_wins(database: Database) -> None:
    token = await issue(database, await new_user(database))
    results = await asyncio.gather(
        consume(database, token), consume(database, token), return_exceptions=True
    )
    assert sum(isinstance(result, UserRow) for result in results) == 1
    assert [type(r) for r in results if not isinstance(r, UserRow)] == [EmailTokenUsed]


async def test_deleting_the_account_deletes_its_tokens(database: Database) -> None:
    user = await new_user(database)
    token = await issue(database, user)
    async with database.sessionmaker() as db:
        row = await db.get(UserRow, user.id)
        await db.delete(row)
        await db.commit()
        assert (
            await db.scalar(select(EmailTokenRow).where(EmailTokenRow.user_id == user.id)) is None
        )
    assert await refused(database, token) is EmailTokenInvalid


async def test_a_new_token_clears_the_accounts_spent_and_expired_ones(database: Database) -> None:
    user = await new_user(database)
    spent = await issue(database, user)
    await consume(database, spent)
    await issue(database, user, ttl=0.001)
    live = await issue(database, user, "verify")
    await asyncio.sleep(0.01)

    newest = await issue(database, user)
    async with database.sessionmaker() as db:
        mine = select(EmailTokenRow.token_hash).where(EmailTokenRow.user_id == user.id)
        kept = set(await db.scalars(mine))
    assert kept == {hash_token(live), hash_token(newest)}


async def test_the_sweep_deletes_used_and_expired_tokens_only(database: Database) -> None:
    used = await issue(database, await new_user(database))
    await consume(database, used)
    expired = await issue(database, await new_user(database), ttl=0.001)
    live = await issue(database, await new_user(database))
    await asyncio.sleep(0.01)  # past the expired one's lifetime
    async with database.sessionmaker() as db:
        await email_tokens.sweep(db)
        await db.commit()
        hashes = [hash_token(token) for token in (used, expired, live)]
        kept = await db.scalars(
            select(EmailTokenRow.token_hash).where(EmailTokenRow.token_hash.in_(hashes))
        )
        assert set(kept) == {hash_token(live)}
    assert (await consume(database, live)).id  # the live one still works
