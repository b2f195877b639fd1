"""Side by side, in one run: each hot path of ours against the tutorial's Express server.

The server under test is pinned to core 0; wrk (one thread, 32 connections) and the Node
upstream stub, which answers CometChat's calls at once, run on core 1. Every path is measured
on SQLite and on PostgreSQL; login is set against the argon2id bound measured in this run
(cores / fastest verify time), and login with ``--workers 2`` runs unpinned beside it.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bench import parts, seed, wrk
from bench.server import APP_ID, REST_API_KEY, Server, running_server
from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.outbox.models import JobRow

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
SERVER_CORE, LOAD_CORE = "0", "1"
#: Sessions for the paths that spend one per request: more than a run can use up.
SPENT_PER_RUN = int(SECONDS * 4000) + 2000
ROUND_ROBIN = 256


@dataclass(frozen=True, slots=True)
class Row:
    path: str
    figures: wrk.Figures
    rss_mb: float | None = None


def _express(stub: str) -> wrk.Figures:
    env = {
        "COMETCHAT_API_BASE": f"{stub}/v3",
        "COMETCHAT_APP_ID": APP_ID,
        "COMETCHAT_REST_API_KEY": REST_API_KEY,
    }
    with parts.node("tutorial_server.js", env, SERVER_CORE) as url:
        login = wrk.Load("GET", "/login?email=user@example.com&password=password")
        assert httpx.get(f"{url}{login.path}").status_code == 200
        wrk.run(url, login, seconds=2, cores=LOAD_CORE)  # warm-up
        return wrk.run(url, login, seconds=SECONDS, cores=LOAD_CORE)


def _verify_seconds(hashed: str) -> float:
    """The fastest of 15 argon2id verifies on the server's core: the hash's own cost, with
    whatever else the machine runs left out (a median counts that in and flatters the login)."""
    hasher = Passwords()._hasher  # the server's own hasher and cost
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(SERVER_CORE)})
    try:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            hasher.verify(hashed, seed.PASSWORD)
            times.append(time.perf_counter() - started)
    finally:
        os.sched_setaffinity(0, before)
    return min(times)


def _outbox_drained(database_url: str, within: float = 120) -> None:
    """Wait until the server's outbox has run every job (token deletions) a run queued."""

    async def pending() -> int:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(select(func.count()).select_from(JobRow)) or 0)
        finally:
            await engine.dispose()

    deadline = time.monotonic() + within
    while asyncio.run(pending()) and time.monotonic() < deadline:
        time.sleep(0.5)


def _loads(seeded: seed.Seeded) -> list[tuple[str, wrk.Load]]:
    shared = tuple(seeded.access[:ROUND_ROBIN])
    spent = seeded.access[ROUND_ROBIN:]
    refresh = tuple(seeded.refresh[ROUND_ROBIN + SPENT_PER_RUN :])
    token = "/cometchat/token"
    return [
        (
            'POST /cometchat/token {"rotate": false}',
            wrk.Load("POST", token, '{"rotate": false}', bearer=True, tokens=shared),
        ),
        (
            'POST /cometchat/token {"rotate": true}',
            wrk.Load("POST", token, '{"rotate": true}', bearer=True, tokens=shared),
        ),
        ("GET /auth/me", wrk.Load("GET", "/auth/me", bearer=True, tokens=shared)),
        (
            "POST /auth/refresh",
            wrk.Load(
                "POST", "/auth/refresh", '{"refreshToken": "{token}"}', tokens=refresh, once=True
            ),
        ),
        (
            "POST /auth/logout",
            wrk.Load(
                "POST", "/auth/logout", bearer=True, tokens=tuple(spent[:SPENT_PER_RUN]), once=True
            ),
        ),
        (
            "POST /auth/login",
            wrk.Load(
                "POST",
                "/auth/login",
                f'{{"email": "{{token}}", "password": "{seed.PASSWORD}"}}',
                tokens=tuple(seeded.emails),
            ),
        ),
    ]


def _paths(database_url: str, stub: str, folder: Path, hashed: str) -> list[Row]:
    with running_server(
        folder, api_base=f"{stub}/v3", database_url=database_url, cores=SERVER_CORE
    ) as server:
        seeded = seed.seed(
            database_url,
            server.env,
            users=64,
            sessions=ROUND_ROBIN + 2 * SPENT_PER_RUN,
            hashed=hashed,
        )
        _check(server, seeded)
        me = wrk.Load("GET", "/auth/me", bearer=True, tokens=tuple(seeded.access[:ROUND_ROBIN]))
        wrk.run(server.url, me, seconds=2, cores=LOAD_CORE)  # warm-up
        rows = []
        for name, load in _loads(seeded):
            figures = wrk.run(server.url, load, seconds=SECONDS, cores=LOAD_CORE)
            rows.append(Row(name, figures, parts.rss_mb(server.process.pid)))
            _outbox_drained(database_url)
        return rows


def _check(server: Server, seeded: seed.Seeded) -> None:
    """A seeded session works before anything is measured (a bench of 401s measures nothing)."""
    bearer = {"Authorization": f"Bearer {seeded.access[0]}"}
    answer = httpx.get(f"{server.url}/auth/me", headers=bearer)
    assert answer.status_code == 200, answer.text


def _two_workers_login(database_url: str, stub: str, folder: Path, hashed: str) -> wrk.Figures:
    with running_server(
        folder, api_base=f"{stub}/v3", database_url=database_url, workers=2
    ) as server:
        seeded = seed.seed(
            database_url, server.env, users=64, sessions=0, hashed=hashed, prefix="workers"
        )
        login = _loads(seeded)[-1][1]
        wrk.run(server.url, login, seconds=2, cores=None)  # warm-up: both workers started
        return wrk.run(server.url, login, seconds=SECONDS, cores=None)


def _table(title: str, rows: list[Row], express: wrk.Figures, bound: float) -> str:
    lines = [
        f"\n{title}",
        "| path | req/s | p50 ms | p99 ms | p99/p50 | vs Express | errors | RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        f = row.figures
        if row.path.endswith("login"):
            versus = f"{f.rate / bound:.2f}x argon2id bound ({bound:.1f}/s)"
        else:
            versus = f"{f.rate / express.rate:.2f}x"
        rss = f"{row.rss_mb:.0f}" if row.rss_mb is not None else ""
        lines.append(
            f"| `{row.path}` | {f.rate:,.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | "
            f"{f.p99_ms / max(f.p50_ms, 0.001):.1f} | {versus} | {f.errors + f.non2xx} | {rss} |"
        )
    return "\n".join(lines)


def main() -> None:
    parts.need("wrk", "node", "taskset")
    hashed = seed.password_hash()
    verify = _verify_seconds(hashed)
    with (
        tempfile.TemporaryDirectory() as name,
        parts.node("upstream_stub.js", {}, LOAD_CORE) as stub,
    ):
        folder = Path(name)
        express = _express(stub)
        tables = {}
        for kind in ("sqlite", "postgresql"):
            with parts.database(kind, folder) as url:
                tables[kind] = _paths(url, stub, folder, hashed)
                if kind == "postgresql":
                    two = _two_workers_login(url, stub, folder, hashed)
    print(
        f"\nbench: server on core {SERVER_CORE}; wrk (1 thread, {wrk.CONNECTIONS} connections, "
        f"{SECONDS:.0f} s per path) and the Node upstream stub on core {LOAD_CORE}"
    )
    print(
        f"Express tutorial server, GET /login: {express.rate:,.0f} req/s, "
        f"p50 {express.p50_ms:.1f} ms, p99 {express.p99_ms:.1f} ms"
    )
    print(f"argon2id verify (m=19456 KiB, t=2, p=1), fastest on one core: {verify * 1000:.1f} ms")
    for kind, rows in tables.items():
        print(_table(f"{kind}:", rows, express, 1 / verify))
    one = tables["postgresql"][-1].figures
    print(
        f"\nPOST /auth/login, --workers 2, unpinned, PostgreSQL: {two.rate:,.1f} req/s "
        f"(p50 {two.p50_ms:.0f} ms, p99 {two.p99_ms:.0f} ms, errors {two.errors + two.non2xx}); "
        f"{two.rate / one.rate:.2f}x one pinned worker, "
        f"{two.rate / (2 / verify):.2f}x the bound of 2 cores ({2 / verify:.1f}/s)"
    )


if __name__ == "__main__":
    main()
