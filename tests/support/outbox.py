"""The outbox's table in tests: a database with no jobs left over, and waiting for it to empty."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import delete, select

from cometchat_auth.outbox.models import JobRow
from cometchat_auth.store import Database, open_database
from tests.support.waiting import eventually_async


@contextlib.asynccontextmanager
async def without_jobs(database_url: str) -> AsyncIterator[Database]:
    """The migrated database with no jobs left over (PostgreSQL's lives for the whole session)."""
    async with open_database(database_url) as database:
        async with database.sessionmaker() as db:
            await db.execute(delete(JobRow))
            await db.commit()
        yield database


async def jobs_left(database: Database) -> list[JobRow]:
    async with database.sessionmaker() as db:
        return list(await db.scalars(select(JobRow).order_by(JobRow.id)))


async def drained(database: Database, *, within: float = 60) -> None:
    """Wait until every job has run (and none failed for good)."""

    async def empty() -> bool:
        return not await jobs_left(database)

    await eventually_async(empty, within=within, every=0.05)
