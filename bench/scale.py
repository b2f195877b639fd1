"""Scale with data: the same requests at 1k and at 1M rows, on PostgreSQL.

Two databases, two servers (pinned to core 0; wrk on core 1): one with 1k accounts and sessions,
one COPYed up to 1,000,000 accounts, 1,000,000 sessions (a few of them stale, for the sweep) and
1,000,000 outbox jobs (given up on, kept for operators; a few waiting out a back-off). The p50 of
login (wrong and right password) and ``GET /auth/me`` on one connection, alternating between the
two; then the session sweep and the outbox poll at that size, with the plans PostgreSQL chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench import compare, parts, seed, wrk
from bench.server import Server, running_server
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.outbox import queries
from cometchat_auth.services import open_services
from cometchat_auth.settings import Settings
from cometchat_auth.store.models import utcnow

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", "1000000"))
SMALL = 1000
STALE = 100
CHUNK = 100_000
SECONDS = 3
ROUNDS = 5
#: Only the sweep timed here runs: the servers' own would end the stale sessions first.
NO_SWEEP = {"SESSION_SWEEP_INTERVAL": "86400"}
POLLS = 20


def _plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


def _users(start: int, count: int, hashed: str) -> Iterator[tuple[Any, ...]]:
    now = utcnow()
    for n in range(start, start + count):
        email = f"scale-{n}@example.com"
        yield (uuid.uuid4().hex, email, email, f"Scale {n}", hashed, True, now, now)


USER_COLUMNS = [
    "id",
    "email",
    "email_key",
    "name",
    "password_hash",
    "email_verified",
    "created_at",
    "updated_at",
]
SESSION_COLUMNS = [
    "id",
    "user_id",
    "refresh_hash",
    "created_at",
    "last_used_at",
    "expires_at",
    "cometchat_token",
]
JOB_COLUMNS = ["kind", "payload", "ordering_key", "status", "attempts", "run_after", "created_at"]


async def _copy(
    database_url: str, hashed: str, sealed: str, start: int, count: int, *, stale: int
) -> float:
    """COPY ``count`` accounts with one session each (the last ``stale`` of them expired) and as
    many outbox jobs given up on, plus a few waiting out a back-off; returns the seconds taken."""
    started = time.perf_counter()
    connection = await asyncpg.connect(_plain_url(database_url))
    try:
        now = utcnow()
        for offset in range(start, start + count, CHUNK):
            size = min(CHUNK, start + count - offset)
            users = list(_users(offset, size, hashed))
            await connection.copy_records_to_table("users", records=users, columns=USER_COLUMNS)
            sessions = []
            for n, user in enumerate(users):
                expired = offset + n >= start + count - stale
                expires = now - timedelta(hours=1) if expired else now + timedelta(days=30)
                sessions.append(
                    (uuid.uuid4().hex, user[0], os.urandom(32).hex(), now, now, expires, sealed)
                )
            await connection.copy_records_to_table(
                "sessions", records=sessions, columns=SESSION_COLUMNS
            )
            jobs = [
                ("cometchat.delete_token", sealed, user[0], "failed", 15, now, now)
                for user in users
            ]
            await connection.copy_records_to_table("outbox_jobs", records=jobs, columns=JOB_COLUMNS)
        # Waiting out a back-off: the poll must skip them without reading the failed ones.
        later = now + timedelta(hours=1)
        waiting = [
            ("cometchat.delete_token", sealed, uuid.uuid4().hex, "pending", 3, later, now)
            for _ in range(max(1, count // 1000))
        ]
        await connection.copy_records_to_table("outbox_jobs", records=waiting, columns=JOB_COLUMNS)
        await connection.execute("ANALYZE users; ANALYZE sessions; ANALYZE outbox_jobs")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _p50s(server: Server, seeded: seed.Seeded) -> dict[str, float]:
    """The median latency of each request alone (one connection), in ms."""
    emails = tuple(seeded.emails)
    loads = {
        "login, right password": wrk.Load(
            "POST",
            "/auth/login",
            f'{{"email": "{{token}}", "password": "{seed.PASSWORD}"}}',
            tokens=emails,
        ),
        "login, wrong password": wrk.Load(
            "POST",
            "/auth/login",
            '{"email": "{token}", "password": "not the password"}',
            tokens=emails,
        ),
        "GET /auth/me": wrk.Load("GET", "/auth/me", bearer=True, tokens=tuple(seeded.access)),
    }
    figures = {}
    for name, load in loads.items():
        result = wrk.run(server.url, load, seconds=SECONDS, cores="1", connections=1)
        figures[name] = result.p50_ms
    return figures


def _settings(env: dict[str, str]) -> Settings:
    fields = Settings.model_fields
    return Settings(**{key.lower(): value for key, value in env.items() if key.lower() in fields})  # type: ignore[arg-type]


async def _background(env: dict[str, str]) -> dict[str, Any]:
    """Time one session sweep and one outbox poll, with PostgreSQL's plan for the first query
    of each (the sweep's look for stale sessions, the poll's pick of due jobs)."""
    settings = _settings(env)
    async with open_services(settings) as services:
        maker = services.database.sessionmaker
        engine = services.database.engine
        async with maker() as db:
            with _statements(engine) as sweep_sql:
                started = time.perf_counter()
                ended = await services.sessions.sweep(db)
                sweep = time.perf_counter() - started
        polls = []
        for _ in range(POLLS):
            async with maker() as db:
                with _statements(engine) as poll_sql:
                    started = time.perf_counter()
                    claimed = await queries.claim(db, lease=60, limit=8)
                    await db.commit()
                    polls.append(time.perf_counter() - started)
        poll = statistics.median(polls)
        async with engine.connect() as connection:
            plans = {
                "sweep_plan": await _plan(connection, *sweep_sql[0]),
                "poll_plan": await _plan(connection, *poll_sql[0]),
            }
            await connection.rollback()
    return {"sweep_s": sweep, "ended": len(ended), "poll_s": poll, "claimed": len(claimed), **plans}


@contextlib.contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and parameters) the block sends, as the driver gets it."""
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))  # (connection, cursor, statement, parameters, ...)

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def _plan(connection: AsyncConnection, statement: str, parameters: Any) -> str:
    rows = await connection.exec_driver_sql(f"EXPLAIN ANALYZE {statement}", parameters)
    return "\n".join(f"    {row[0]}" for row in rows)


def main() -> None:
    hashed = seed.password_hash()
    with (
        tempfile.TemporaryDirectory() as name,
        parts.node("upstream_stub.js", {}, compare.LOAD_CORE) as stub,
        parts.database("postgresql", Path(name)) as small_url,
        parts.database("postgresql", Path(name)) as large_url,
        running_server(
            Path(name), api_base=f"{stub}/v3", database_url=small_url, cores="0", extra_env=NO_SWEEP
        ) as small,
        running_server(
            Path(name), api_base=f"{stub}/v3", database_url=large_url, cores="0", extra_env=NO_SWEEP
        ) as large,
    ):
        seeded = {}
        for server, url, rows in ((small, small_url, SMALL), (large, large_url, ROWS)):
            seeded[url] = seed.seed(url, server.env, users=64, sessions=256, hashed=hashed)
            sealed = TokenVault(server.env["TOKEN_ENCRYPTION_KEYS"].split(",")).seal("bulk")
            stale = rows * STALE // ROWS
            copied = asyncio.run(_copy(url, hashed, sealed, 64, rows - 64, stale=stale))
        # Alternate, so that a busy moment of the machine falls on both sizes alike.
        rounds: dict[int, list[dict[str, float]]] = {SMALL: [], ROWS: []}
        for _ in range(ROUNDS):
            rounds[SMALL].append(_p50s(small, seeded[small_url]))
            rounds[ROWS].append(_p50s(large, seeded[large_url]))
        background = asyncio.run(_background(large.env))
    p50 = {
        rows: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for rows, runs in rounds.items()
    }
    print(
        f"\nscale: PostgreSQL, {ROWS:,} accounts, sessions and outbox jobs COPYed in "
        f"{copied:.0f} s; each p50 the median of {ROUNDS} rounds alternating the two sizes"
    )
    print(f"| request (p50, one connection) | {SMALL:,} rows | {ROWS:,} rows | ratio |")
    print("|---|---|---|---|")
    for key in p50[SMALL]:
        before, after = p50[SMALL][key], p50[ROWS][key]
        print(f"| {key} | {before:.1f} ms | {after:.1f} ms | {after / before:.2f} |")
    print(
        f"session sweep at {ROWS:,} sessions: {background['sweep_s'] * 1000:.0f} ms in all "
        f"({background['ended']} stale sessions ended and their CometChat tokens deleted, one "
        "user after another)"
    )
    print(
        f"outbox poll at {ROWS:,} jobs: median {background['poll_s'] * 1000:.1f} ms of "
        f"{POLLS} polls ({background['claimed']} due)"
    )
    print("the sweep's look for stale sessions:\n" + background["sweep_plan"])
    print("the poll's pick of due jobs:\n" + background["poll_plan"])


if __name__ == "__main__":
    main()
