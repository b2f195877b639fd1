"""One migrator at a time: processes started together on an empty database must not race.

PostgreSQL: a transaction-scoped advisory lock, released when the migration commits (or the
connection dies with its process). SQLite: an exclusive ``flock`` on a file beside the database,
released by the kernel when the process ends, so a killed migrator never blocks the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

#: Any fixed 64-bit number names the lock; this one spells "cca-migr" in ASCII.
ADVISORY_KEY = 0x6363612D6D696772


async def hold_advisory_lock(connection: AsyncConnection) -> None:
    """Wait for the migration lock; it is held until ``connection``'s transaction ends.

    Polled rather than waited for in one statement: DATABASE_TIMEOUT bounds every statement,
    and another process's migration may take longer than that.
    """
    take = text("SELECT pg_try_advisory_xact_lock(:key)")
    while not await connection.scalar(take, {"key": ADVISORY_KEY}):  # noqa: ASYNC110
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def file_lock(path: Path) -> AsyncIterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # flock blocks: wait in a thread, so the event loop (and a server's probes) carry on.
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
