"""Devices: a user's live sessions as people recognise them ("Firefox on Linux", where, when).

Listing and finding only; ending one goes through the session manager, which deletes its
CometChat token.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.store import SessionRow
from cometchat_auth.store.models import utcnow

#: First match wins: Edge and Opera say "Chrome" too, Chrome says "Safari", bots say little.
_BROWSERS = (
    ("Edge", r"\bEdg(e|A|iOS)?/"),
    ("Opera", r"\b(OPR|Opera)/"),
    ("Samsung Internet", r"\bSamsungBrowser/"),
    ("Firefox", r"\b(Firefox|FxiOS)/"),
    ("Chrome", r"\b(Chrome|CriOS|HeadlessChrome|Chromium)/"),
    ("Safari", r"\bVersion/[\d.]+.*\bSafari/"),
    ("curl", r"^curl/"),
    ("Python", r"^(python-httpx|python-requests|Python-urllib|aiohttp)/"),
    ("Node.js", r"^(node-fetch|undici|axios)\b"),
)
_SYSTEMS = (
    ("iOS", r"\b(iPhone|iPad|iPod)\b"),
    ("Android", r"\bAndroid\b"),
    ("ChromeOS", r"\bCrOS\b"),
    ("Windows", r"\bWindows\b"),
    ("macOS", r"\bMac OS X\b|\bMacintosh\b"),
    ("Linux", r"\bLinux\b"),
)


def _first(rules: tuple[tuple[str, str], ...], user_agent: str) -> str | None:
    return next((name for name, pattern in rules if re.search(pattern, user_agent)), None)


def device_label(user_agent: str | None) -> str:
    """A short name for the device behind a User-Agent header: "Chrome on Android"."""
    if not user_agent:
        return "Unknown device"
    browser, system = _first(_BROWSERS, user_agent), _first(_SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown device")


def _live(user_id: str, idle_timeout: timedelta, now: datetime) -> list[ColumnElement[bool]]:
    return [
        SessionRow.user_id == user_id,
        SessionRow.ended_at.is_(None),
        SessionRow.expires_at > now,
        SessionRow.last_used_at > now - idle_timeout,
    ]


async def live_sessions(
    db: AsyncSession, user_id: str, *, idle_timeout: timedelta
) -> list[SessionRow]:
    """The user's live sessions, the most recently used first."""
    rows = await db.scalars(
        select(SessionRow)
        .where(*_live(user_id, idle_timeout, utcnow()))
        .order_by(SessionRow.last_used_at.desc(), SessionRow.id)
    )
    return list(rows)


async def live_session(
    db: AsyncSession, user_id: str, session_id: str, *, idle_timeout: timedelta
) -> SessionRow | None:
    """One live session of this user; None for another user's, an ended or an unknown one."""
    found: SessionRow | None = await db.scalar(
        select(SessionRow).where(
            SessionRow.id == session_id, *_live(user_id, idle_timeout, utcnow())
        )
    )
    return found
