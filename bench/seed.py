"""Accounts and signed-in sessions written straight into a server's database, in bulk.

A benchmark of refresh or logout spends one session per request: signing in thousands of times
through the API would take minutes of argon2id, so the rows are made here, as the server makes
them (a sealed CometChat token per session, access tokens signed with the server's key).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from cometchat_auth.accounts.emails import email_key
from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.sessions.tokens import AccessTokens, new_refresh_token
from cometchat_auth.store import SessionRow, UserRow
from cometchat_auth.store.models import utcnow

PASSWORD = "a long enough bench password"
#: Rows per INSERT: within SQLite's and asyncpg's limits on bound parameters.
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Seeded:
    user_ids: list[str]
    emails: list[str]
    #: One access token and one refresh token per session, in the same order.
    access: list[str]
    refresh: list[str]


def password_hash(password: str = PASSWORD, **cost: int) -> str:
    """The server's own hash of ``password`` (argon2id with its default, OWASP, cost)."""
    return asyncio.run(Passwords(**cost).hash(password))


def user_rows(count: int, hashed: str, *, prefix: str = "bench") -> list[dict[str, Any]]:
    now = utcnow()
    rows = []
    for n in range(count):
        email = f"{prefix}-{n}@example.com"
        rows.append(
            {
                "id": uuid.uuid4().hex,
                "email": email,
                "email_key": email_key(email),
                "name": f"Bench {n}",
                "avatar": None,
                "password_hash": hashed,
                "email_verified": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def session_rows(
    user_ids: list[str], count: int, env: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """``count`` live sessions spread over the users, each with a sealed CometChat token."""
    vault = TokenVault(env["TOKEN_ENCRYPTION_KEYS"].split(","))
    access = AccessTokens(env["SECRET_KEY"], int(env.get("ACCESS_TOKEN_TTL", "900")))
    now = utcnow()
    rows, access_tokens, refresh_tokens = [], [], []
    for n in range(count):
        user_id = user_ids[n % len(user_ids)]
        session_id = uuid.uuid4().hex
        refresh, refresh_hash = new_refresh_token()
        rows.append(
            {
                "id": session_id,
                "user_id": user_id,
                "refresh_hash": refresh_hash,
                "rotated_at": None,
                "created_at": now,
                "last_used_at": now,
                "expires_at": now + timedelta(days=30),
                "ended_at": None,
                "end_reason": None,
                "user_agent": "bench",
                "ip": "127.0.0.1",
                "cometchat_token": vault.seal(f"{user_id}_{session_id}"),
            }
        )
        access_tokens.append(access.issue(user_id, session_id, now))
        refresh_tokens.append(refresh)
    return rows, access_tokens, refresh_tokens


async def _insert(
    database_url: str, users: list[dict[str, Any]], sessions: list[dict[str, Any]]
) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for table, rows in ((UserRow, users), (SessionRow, sessions)):
                for start in range(0, len(rows), BATCH):
                    await connection.execute(insert(table), rows[start : start + BATCH])
            if engine.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE users, sessions"))
    finally:
        await engine.dispose()


def seed(
    database_url: str,
    env: dict[str, str],
    *,
    users: int,
    sessions: int,
    hashed: str,
    prefix: str = "bench",
) -> Seeded:
    """Write ``users`` accounts (password ``PASSWORD``) and ``sessions`` sessions."""
    user_list = user_rows(users, hashed, prefix=prefix)
    ids = [row["id"] for row in user_list]
    session_list, access, refresh = session_rows(ids, sessions, env)
    asyncio.run(_insert(database_url, user_list, session_list))
    return Seeded(ids, [row["email"] for row in user_list], access, refresh)
