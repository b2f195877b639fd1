"""What the timing benchmarks share: one known account against unknown emails, medians of each.

Starts the emulator and the auth server on loopback ports (SQLite in a temporary folder),
registers one account, warms up, then alternates a request about it with one about a new unknown
email, so that drift (a warming cache, a busy machine) weighs on both sides alike.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
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


def medians(send: Send, status: int, rounds: int, **settings: Any) -> tuple[float, float]:
    """Median seconds of ``send`` for the known email and for unknown ones.

    ``settings`` override the server's (rate limits, argon2 parameters, ...).
    """
    keys = AppKeys("testapp", "test-rest-key-0123456789", "test-auth-key-0123456789")
    known_email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    known: list[float] = []
    unknown: list[float] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(create_emulator(EmulatorConfig(apps=[keys]))) as emulator_url,
        serve_auth(
            isolated_settings(
                state_dir=Path(folder),
                database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
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
        for _ in range(3):  # warm up: connections, the dummy hash, SQLite's caches
            _timed(client, send, known_email, status)
            _timed(client, send, f"warm-{uuid.uuid4().hex[:8]}@example.com", status)
        for _ in range(rounds):
            known.append(_timed(client, send, known_email, status))
            unknown_email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
            unknown.append(_timed(client, send, unknown_email, status))
    return statistics.median(known), statistics.median(unknown)
