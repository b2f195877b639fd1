"""What the timing benchmarks share: one known account against unknown emails, medians of each.

Starts the emulator and the auth server on loopback ports (SQLite in a temporary folder),
registers one account, warms up, then alternates a request about it with one about a new unknown
email, so that drift (a warming cache, a busy machine) weighs on both sides alike. The database is
BENCH_DATABASE_URL when set (an empty PostgreSQL database, say).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tests.support.auth_server import PASSWORD, isolated_settings, serve_auth
from tests.support.servers import serve

from cometchat_auth.emulator import AppKeys, EmulatorConfig
from cometchat_auth.emulator import create_app as create_emulator

UNLIMITED = "1000000/minute"

#: Sends the request under test about an email; the answer must have the expected status.
Send = Callable[[httpx.Client, str], httpx.Response]


def _timed(client: httpx.Client, send: Send, email: str, status: int) -> float:
    started = time.perf_counter()
    answer = send(client, email)
    elapsed = time.perf_counter() - started
    assert answer.status_code == status, answer.text
    return elapsed


@contextmanager
def bench_server(**settings: Any) -> Iterator[tuple[httpx.Client, str]]:
    """The emulator and the auth server on loopback ports, and one registered account.

    Yields a client on the server and the account's email. SQLite in a temporary folder unless
    BENCH_DATABASE_URL names another database; ``settings`` override the server's (rate limits,
    argon2 parameters, ...).
    """
    keys = AppKeys("testapp", "test-rest-key-0123456789", "test-auth-key-0123456789")
    known_email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(create_emulator(EmulatorConfig(apps=[keys]))) as emulator_url,
        serve_auth(
            isolated_settings(
                state_dir=Path(folder),
                database_url=os.environ.get(
                    "BENCH_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db"
                ),
                cometchat_api_base=f"{emulator_url}/v3",
                **settings,
            )
        ) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        registered = client.post(
            "/auth/register", json={"email": known_email, "password": PASSWORD, "name": "Bench"}
        )
        registered.raise_for_status()
        yield client, known_email


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:8]}@example.com"


def medians(send: Send, status: int, rounds: int, **settings: Any) -> tuple[float, float]:
    """Median seconds of ``send`` for the known email and for unknown ones."""
    known: list[float] = []
    unknown: list[float] = []
    with bench_server(**settings) as (client, known_email):
        for _ in range(3):  # warm up: connections, the dummy hash, SQLite's caches
            _timed(client, send, known_email, status)
            _timed(client, send, unknown_email(), status)
        for _ in range(rounds):
            known.append(_timed(client, send, known_email, status))
            unknown.append(_timed(client, send, unknown_email(), status))
    return statistics.median(known), statistics.median(unknown)
