"""Read the audit log back, as an operator's ``audit`` command would."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from cometchat_auth.audit import AuditEventRow
from cometchat_auth.store import open_database


def account_events(database_url: str, user_id: str) -> list[str]:
    """Every event recorded for the account id, oldest first (they outlive a deleted account)."""

    async def read() -> list[str]:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            rows = await db.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.user_id == user_id)
                .order_by(AuditEventRow.id)
            )
            return [row.event for row in rows]

    return asyncio.run(read())
