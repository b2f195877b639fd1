"""The store on SQLite and PostgreSQL: migrations, uniqueness, cascades, aware datetimes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from cometchat_auth.store import SessionRow, UserRow, open_database
from cometchat_auth.store.db import migrate
from tests.support.postgres import admin


def user(email_key: str) -> UserRow:
    return UserRow(
        id=uuid.uuid4().hex,
        email=email_key,
        email_key=email_key,
        name="Ann",
        password_hash="$argon2id$...",
        email_verified=False,
    )


def session_of(owner: UserRow) -> SessionRow:
    now = datetime.now(UTC)
    return SessionRow(
        id=uuid.uuid4().hex,
        user_id=owner.id,
        refresh_hash=uuid.uuid4().hex * 2,
        last_used_at=now,
        expires_at=now + timedelta(days=1),
    )


async def test_migrations_create_the_tables_and_run_twice_safely(database_url: str) -> None:
    async with open_database(database_url) as database:
        await migrate(database.engine)
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {"users", "sessions", "alembic_version"} <= tables


async def test_email_key_is_unique(database_url: str) -> None:
    key = f"{uuid.uuid4().hex}@example.com"
    async with open_database(database_url) as database, database.sessionmaker() as db:
        db.add(user(key))
        await db.commit()
        db.add(user(key))
        with pytest.raises(IntegrityError):
            await db.commit()


async def test_deleting_a_user_deletes_its_sessions(database_url: str) -> None:
    owner = user(f"{uuid.uuid4().hex}@example.com")
    async with open_database(database_url) as database, database.sessionmaker() as db:
        db.add(owner)
        await db.flush()
        session = session_of(owner)
        db.add(session)
        await db.commit()
        await db.delete(owner)
        await db.commit()
        assert await db.scalar(select(SessionRow).where(SessionRow.id == session.id)) is None


async def test_datetimes_come_back_aware_in_utc(database_url: str) -> None:
    owner = user(f"{uuid.uuid4().hex}@example.com")
    async with open_database(database_url) as database:
        async with database.sessionmaker() as db:
            db.add(owner)
            await db.flush()
            session = session_of(owner)
            db.add(session)
            await db.commit()
        async with database.sessionmaker() as db:
            stored = await db.get(SessionRow, session.id)
            assert stored is not None
            assert stored.expires_at.tzinfo is not None
            assert stored.expires_at == session.expires_at
            assert stored.created_at <= datetime.now(UTC)


async def test_a_pooled_connection_the_server_closed_is_replaced_not_used(
    postgres_url: str,
) -> None:
    """A restart or an idle timeout on the server's side: the next request gets a fresh
    connection from the pool, not an error."""
    async with open_database(postgres_url) as database:
        async with database.sessionmaker() as db:
            pid = await db.scalar(text("SELECT pg_backend_pid()"))
        await admin(f"SELECT pg_terminate_backend({int(pid)})")
        await asyncio.sleep(0.5)  # the backend exits; the client reads its goodbye
        async with database.sessionmaker() as db:
            assert await db.scalar(text("SELECT pg_backend_pid()")) != pid
