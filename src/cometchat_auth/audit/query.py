"""Reading the audit log back, for ``cometchat-auth audit``."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts.emails import email_key
from cometchat_auth.audit.events import AuditEventRow
from cometchat_auth.store import UserRow, open_database

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``30m``, ``12h``, ``7d`` before ``now``, or an ISO date/time (UTC unless it says)."""
    if match := re.fullmatch(r"(\d+)\s*([smhdw])", text.strip()):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration like 7d nor an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def events(
    db: AsyncSession, *, email: str | None, since: datetime | None, limit: int = 1000
) -> Sequence[AuditEventRow]:
    """The account's events, oldest first; by email and by id, so a new address keeps its trail."""
    query = select(AuditEventRow)
    if email is not None:
        key = email_key(email)
        user_id = await db.scalar(select(UserRow.id).where(UserRow.email_key == key))
        query = query.where(
            or_(AuditEventRow.email == key, AuditEventRow.user_id == user_id)
            if user_id
            else AuditEventRow.email == key
        )
    if since is not None:
        query = query.where(AuditEventRow.at >= since)
    rows = await db.scalars(
        query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc()).limit(limit)
    )
    return list(reversed(rows.all()))


def show(database_url: str, *, email: str | None, since: str | None, limit: int) -> None:
    """Print the events as a table (what the rows hold: never a secret)."""
    moment = parse_since(since, datetime.now(UTC)) if since else None

    async def load() -> Sequence[AuditEventRow]:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            return await events(db, email=email, since=moment, limit=limit)

    rows = asyncio.run(load())
    table = Table("time (UTC)", "event", "email", "user id", "ip", "user agent", "details")
    for row in rows:
        table.add_row(
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.event,
            row.email or "",
            row.user_id or "",
            row.ip or "",
            row.user_agent or "",
            json.dumps(row.details, sort_keys=True) if row.details else "",
        )
    console = Console(width=200)
    console.print(table if rows else "no events")
