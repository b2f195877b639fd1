"""Login timing for unknown vs known emails: the medians should match (no user enumeration).

Starts the emulator and the auth server on loopback ports (SQLite, OWASP's argon2 parameters:
m=19 MiB, t=2, p=1), registers one account, then alternates failed logins of that account
(wrong password) and of unknown emails, and prints each median and their ratio.
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
from cometchat_auth.settings import Settings

ROUNDS = 60
UNLIMITED = "1000000/minute"


def _settings(state: Path, emulator_url: str) -> Settings:
    defaults = Settings.model_fields
    return isolated_settings(
        state_dir=state,
        database_url=f"sqlite+aiosqlite:///{state / 'bench.db'}",
        cometchat_api_base=f"{emulator_url}/v3",
        # OWASP's parameters, the server's defaults (the test helper lowers them).
        argon2_memory_cost=defaults["argon2_memory_cost"].default,
        argon2_time_cost=defaults["argon2_time_cost"].default,
        argon2_parallelism=defaults["argon2_parallelism"].default,
        # Every attempt is a counted failure: the known account's slowest path, never locked.
        lockout_threshold=1_000_000,
        rate_limit_login_ip=UNLIMITED,
        rate_limit_login_account=UNLIMITED,
    )


def _timed_login(client: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    answer = client.post("/auth/login", json={"email": email, "password": "wrong password 123"})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 401, answer.text
    return elapsed


def measure(rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of a failed login for a known email and for an unknown one."""
    keys = AppKeys("testapp", "test-rest-key-0123456789", "test-auth-key-0123456789")
    known_email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    known: list[float] = []
    unknown: list[float] = []
    with (
        tempfile.TemporaryDirectory() as state,
        serve(create_emulator(EmulatorConfig(apps=[keys]))) as emulator_url,
        serve_auth(_settings(Path(state), emulator_url)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        registered = client.post(
            "/auth/register", json={"email": known_email, "password": PASSWORD, "name": "Bench"}
        )
        registered.raise_for_status()
        for _ in range(3):  # warm up: connections, the dummy hash, SQLite's caches
            _timed_login(client, known_email)
            _timed_login(client, f"warm-{uuid.uuid4().hex[:8]}@example.com")
        for _ in range(rounds):
            known.append(_timed_login(client, known_email))
            unknown.append(_timed_login(client, f"nobody-{uuid.uuid4().hex[:8]}@example.com"))
    return statistics.median(known), statistics.median(unknown)


def main() -> None:
    known, unknown = measure()
    print(f"login timing over {ROUNDS} rounds each (argon2id m=19456 KiB, t=2, p=1)")
    print(f"  known email, wrong password: median {known * 1000:.1f} ms")
    print(f"  unknown email:               median {unknown * 1000:.1f} ms")
    print(f"  ratio known/unknown:         {known / unknown:.3f}")
