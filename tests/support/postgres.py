"""The PostgreSQL server on 127.0.0.1:5432, as its administrator: make and drop databases."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def admin(statement: str) -> None:
    """Run one statement outside a transaction (CREATE DATABASE cannot run inside one)."""
    engine = create_async_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
