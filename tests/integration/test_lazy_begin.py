"""PostgreSQL: a session reads without BEGIN; its first write begins the transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, insert, select, text

from cometchat_auth.store import Database, open_database
from cometchat_auth.store.models import UserRow


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[Database]:
    async with open_database(postgres_url) as database:
        yield database


async def backend_state(database: Database, pid: int) -> str:
    """What PostgreSQL says the backend ``pid`` is doing, asked on another connection."""
    async with database.engine.connect() as other:
        state = await other.scalar(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
    return str(state)


def user(email: str) -> UserRow:
    return UserRow(id=uuid.uuid4().hex, email=email, email_key=email, name="Ada", password_hash="x")


async def users_named(database: Database, *emails: str) -> int:
    async with database.engine.connect() as other:
        found = await other.scalar(
            select(func.count()).select_from(UserRow).where(UserRow.email.in_(emails))
        )
    return int(found or 0)


async def test_reads_leave_no_transaction_open(database: Database) -> None:
    async with database.sessionmaker() as db:
        pid = int(await db.scalar(text("SELECT pg_backend_pid()")) or 0)
        await db.scalar(select(func.count()).select_from(UserRow))
        # Not "idle in transaction": no BEGIN went before the reads, so none waits for its end.
        assert await backend_state(database, pid) == "idle"


async def test_the_first_write_begins_a_transaction_that_keeps_what_follows_together(
    database: Database,
) -> None:
    first, second = f"{uuid.uuid4().hex}@a.example", f"{uuid.uuid4().hex}@b.example"
    async with database.sessionmaker() as db:
        pid = int(await db.scalar(text("SELECT pg_backend_pid()")) or 0)
        db.add(user(first))
        await db.flush()
        db.add(user(second))
        await db.flush()
        assert await backend_state(database, pid) == "idle in transaction"
        assert await users_named(database, first, second) == 0  # nothing seen before the commit
        await db.rollback()
    assert await users_named(database, first, second) == 0  # and both rolled back

    async with database.sessionmaker() as db:
        db.add(user(first))
        await db.commit()
    assert await users_named(database, first) == 1


async def test_a_locking_read_begins_the_transaction(database: Database) -> None:
    async with database.sessionmaker() as db:
        pid = int(await db.scalar(text("SELECT pg_backend_pid()")) or 0)
        await db.execute(select(UserRow.id).limit(1).with_for_update())
        # The row lock must last until the commit: the SELECT ran inside a transaction.
        assert await backend_state(database, pid) == "idle in transaction"


async def test_a_connection_goes_back_to_the_pool_transactional(database: Database) -> None:
    email = f"{uuid.uuid4().hex}@c.example"
    async with database.sessionmaker() as db:
        pid = await db.scalar(text("SELECT pg_backend_pid()"))  # read without BEGIN
    # The same pooled connection, used without a session (as migrations do): still atomic.
    async with database.engine.connect() as connection:
        assert await connection.scalar(text("SELECT pg_backend_pid()")) == pid
        await connection.execute(insert(UserRow).values(**user_values(email)))
        await connection.rollback()
    assert await users_named(database, email) == 0


def user_values(email: str) -> dict[str, object]:
    row = user(email)
    return {column: getattr(row, column) for column in ("id", "email", "email_key", "name")} | {
        "password_hash": "x"
    }
