"""Forgot-password timing for known vs unknown emails: the medians should match.

The answer goes out before the server looks the address up (the lookup, the token and the queued
mail run after it), so nothing in the answer's timing says whether an account exists. Starts the
emulator and the auth server on loopback ports (SQLite, local mail folder), registers one account,
then alternates requests for it and for unknown emails, and prints each median and their ratio.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from tests.support.auth_server import PASSWORD, isolated_settings, serve_auth
from tests.support.servers import serve

from cometchat_auth.emulator import AppKeys, EmulatorConfig
from cometchat_auth.emulator import create_app as create_emulator

ROUNDS = 100
UNLIMITED = "1000000/minute"


def _timed_forgot(client: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    answer = client.post("/auth/password/forgot", json={"email": email})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 202, answer.text
    return elapsed


def measure(rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of a forgot-password answer for a known email and for an unknown one."""
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
                rate_limit_reset_ip=UNLIMITED,
                rate_limit_reset_account=UNLIMITED,
            )
        ) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        registered = client.post(
            "/auth/register", json={"email": known_email, "password": PASSWORD, "name": "Bench"}
        )
        registered.raise_for_status()
        for _ in range(3):  # warm up: connections, SQLite's caches
            _timed_forgot(client, known_email)
            _timed_forgot(client, f"warm-{uuid.uuid4().hex[:8]}@example.com")
        for _ in range(rounds):
            known.append(_timed_forgot(client, known_email))
            unknown.append(_timed_forgot(client, f"nobody-{uuid.uuid4().hex[:8]}@example.com"))
    return statistics.median(known), statistics.median(unknown)


def main() -> None:
    known, unknown = measure()
    print(f"forgot-password timing over {ROUNDS} rounds each")
    print(f"  known email:   median {known * 1000:.2f} ms")
    print(f"  unknown email: median {unknown * 1000:.2f} ms")
    print(f"  ratio known/unknown: {known / unknown:.3f}")


if __name__ == "__main__":
    main()
