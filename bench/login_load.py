"""Login under load: throughput and latency of the tutorial's flow, and of /healthz beside it.

Starts the emulator on a loopback port in this process and ``cometchat-auth serve`` as its own
process (production settings, SQLite, OWASP's argon2 parameters, rate limits lifted), registers
``ACCOUNTS`` accounts, then runs ``CONCURRENCY`` clients that sign in (password check, new session,
new CometChat token) and sign out again for ``SECONDS`` seconds, while one more client asks
``/healthz`` in a loop. Prints requests per second and latency percentiles; any 5xx is counted.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from tests.support.processes import wait_until_up
from tests.support.servers import free_port, serve

from cometchat_auth.emulator import AppKeys, EmulatorConfig
from cometchat_auth.emulator import create_app as create_emulator

ACCOUNTS = 100
CONCURRENCY = 16
SECONDS = 20.0
PASSWORD = "a long enough bench password"
UNLIMITED = "1000000/minute"
KEYS = AppKeys("benchapp", "bench-rest-key-0123456789", "bench-auth-key-0123456789")


def _server_env(folder: Path, port: int, emulator_url: str) -> dict[str, str]:
    limits = {
        f"RATE_LIMIT_{action}_{scope}": UNLIMITED
        for action in ("LOGIN", "REGISTER", "REFRESH", "MINT", "RESET")
        for scope in ("IP", "ACCOUNT")
    }
    return {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "production",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # BENCH_DATABASE_URL runs the same load on another database (an empty PostgreSQL one).
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db"
        ),
        "STATE_DIR": str(folder / "state"),
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "COMETCHAT_APP_ID": KEYS.app_id,
        "COMETCHAT_REST_API_KEY": KEYS.rest_api_key,
        "COMETCHAT_API_BASE": f"{emulator_url}/v3",
        "CORS_ORIGINS": "https://app.example",
        "PUBLIC_URL": "https://auth.example",
        "LOCKOUT_THRESHOLD": "1000000",
        **limits,
    }


def _database_name() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":", 1)[0]


def _start_server(folder: Path, emulator_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cli = str(Path(sys.executable).with_name("cometchat-auth"))
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [cli, "serve"],
            env=_server_env(folder, port, emulator_url),
            cwd=folder,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process, output=(folder / "server.log").read_text)
    except BaseException:
        process.kill()
        raise
    return process, url


class Tally:
    """Latencies and 5xx answers of one kind of request."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.server_errors = 0

    def add(self, started: float, answer: httpx.Response) -> None:
        self.seconds.append(time.perf_counter() - started)
        self.server_errors += answer.status_code >= 500

    def line(self, name: str, elapsed: float) -> str:
        cuts = statistics.quantiles(self.seconds, n=100)
        return (
            f"  {name:<8} {len(self.seconds):>6} requests  {len(self.seconds) / elapsed:7.1f}/s  "
            f"p50 {cuts[49] * 1000:6.1f} ms  p95 {cuts[94] * 1000:6.1f} ms  "
            f"p99 {cuts[98] * 1000:6.1f} ms  5xx {self.server_errors}"
        )


async def _sign_in_and_out(client: httpx.AsyncClient, emails: list[str], logins: Tally) -> None:
    for email in emails:
        started = time.perf_counter()
        answer = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
        logins.add(started, answer)
        if answer.status_code == 200:
            bearer = {"Authorization": f"Bearer {answer.json()['accessToken']}"}
            await client.post("/auth/logout", headers=bearer)


async def _load(url: str, emails: list[str]) -> tuple[Tally, Tally, float]:
    logins, health = Tally(), Tally()
    limits = httpx.Limits(max_connections=CONCURRENCY + 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        stop = time.perf_counter() + SECONDS

        async def signer(offset: int) -> None:
            while time.perf_counter() < stop:
                await _sign_in_and_out(client, emails[offset::CONCURRENCY][:5], logins)

        async def prober() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                health.add(started, await client.get("/healthz"))
                await asyncio.sleep(0.05)

        started = time.perf_counter()
        await asyncio.gather(prober(), *(signer(n) for n in range(CONCURRENCY)))
        return logins, health, time.perf_counter() - started


async def _register(url: str, count: int) -> list[str]:
    emails = [f"load-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(count)]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for email in emails:
            body = {"email": email, "password": PASSWORD, "name": "Load"}
            (await client.post("/auth/register", json=body)).raise_for_status()
    return emails


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(create_emulator(EmulatorConfig(apps=[KEYS], rate_limit_per_minute=10**9))) as emu,
    ):
        process, url = _start_server(Path(folder), emu)
        try:
            emails = asyncio.run(_register(url, ACCOUNTS))
            logins, health, elapsed = asyncio.run(_load(url, emails))
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(
        f"login load: {CONCURRENCY} clients for {elapsed:.0f} s, each sign-in followed by a "
        f"sign-out (argon2id m=19456 KiB, t=2, p=1; {_database_name()}; emulator on loopback)"
    )
    print(logins.line("login", elapsed))
    print(health.line("healthz", elapsed))


if __name__ == "__main__":
    main()
