"""The async engine and sessionmaker, with migrations applied before first use."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from cometchat_auth.store.lazy_begin import LazyBeginSession, begin_at_first_write
from cometchat_auth.store.migration_lock import file_lock, hold_advisory_lock

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


#: DATABASE_TIMEOUT's default: seconds to connect, to get a pooled connection, per statement.
DEFAULT_TIMEOUT = 5.0


#: DATABASE_POOL_SIZE's default: PostgreSQL connections each process keeps open.
DEFAULT_POOL_SIZE = 15


def create_engine(
    url: str, *, max_wait: float = DEFAULT_TIMEOUT, pool_size: int = DEFAULT_POOL_SIZE
) -> AsyncEngine:
    """An engine that never echoes bound parameters (they hold hashes and ciphertexts) in errors,
    and never waits on the database longer than ``max_wait`` for one step (connect, a pooled
    connection, a statement; on SQLite, another process's write lock).

    PostgreSQL connections stay open, ``pool_size`` of them at most: with connections beyond a
    kept few (SQLAlchemy's overflow), 32 clients made the pool close and reopen them all the time,
    and connecting (TLS negotiation, authentication, a server process) cost more than the queries.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(
            url,
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=max_wait,
            connect_args={"timeout": max_wait, "command_timeout": max_wait},
        )
        event.listen(engine.sync_engine.pool, "checkout", _drop_if_closed)
        begin_at_first_write(engine.sync_engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        _private_sqlite_files(Path(parsed.database))
    engine = create_async_engine(
        url, hide_parameters=True, pool_timeout=max_wait, connect_args={"timeout": max_wait}
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server or the network closed (a restart, a cut): the pool
    then opens a new one. Asked of the driver, not the server: the pre-ping it replaces cost
    three round trips per checkout (BEGIN, a ping, ROLLBACK), more than a signed-in check."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError


def _private_sqlite_files(database: Path) -> None:
    """The file holds password hashes and the audit log: mode 0600 (SQLite gives its ``-wal`` and
    ``-shm`` files the database's mode), in a folder made 0700; older 0644 files are tightened."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; foreign keys make ON DELETE CASCADE real.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _upgrade(connection: Connection, migrations: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine, migrations: Path = MIGRATIONS) -> None:
    """Apply every Alembic migration not yet applied, one process at a time.

    Whoever waited on the lock finds the work done and applies nothing. ``migrations`` is the
    server's by default; the FastAPI plug-in passes its own (with its own version table).
    """
    async with _sqlite_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await hold_advisory_lock(connection)
        await connection.run_sync(_upgrade, migrations)


def _sqlite_lock(engine: AsyncEngine) -> AbstractAsyncContextManager[object]:
    """A file lock beside a SQLite database file; nothing for other databases."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return file_lock(Path(f"{database}.migrate-lock"))
    return nullcontext()


def migrate_database(url: str) -> str:
    """``cometchat-auth migrate``: apply the migrations; returns the revision now current."""

    async def run() -> str:
        engine = create_engine(url)
        try:
            await migrate(engine)
            async with engine.connect() as connection:
                return str(await connection.scalar(text("SELECT version_num FROM alembic_version")))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@asynccontextmanager
async def open_database(
    url: str, *, max_wait: float = DEFAULT_TIMEOUT, pool_size: int = DEFAULT_POOL_SIZE
) -> AsyncIterator[Database]:
    """A migrated database for the life of the block; options as ``create_engine``'s."""
    engine = create_engine(url, max_wait=max_wait, pool_size=pool_size)
    try:
        await migrate(engine)
        sessionmaker = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=LazyBeginSession
        )
        yield Database(engine, sessionmaker)
    finally:
        await engine.dispose()


def dialect_insert(db: AsyncSession) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, for its ON CONFLICT."""
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
