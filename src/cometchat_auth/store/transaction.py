"""One caller's unit of work: services flush, the caller commits; a kept refusal commits too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cometchat_auth.errors import DomainError


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A database session for one request, command or job; the caller commits its success.

    The one place a failure keeps a write: a refusal raised through ``errors.kept`` (a lock-out
    count, an audit event, a queued token deletion) commits the work before it; any other error
    rolls everything back.
    """
    async with sessionmaker() as db:
        try:
            yield db
        except DomainError as exc:
            if exc.keep_work:
                await db.commit()
            raise
