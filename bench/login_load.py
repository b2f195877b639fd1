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
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from tests.support.servers import serve

from bench.server import APP_ID, REST_API_KEY, running_server
from cometchat_auth.emulator import AppKeys, EmulatorConfig
from cometchat_auth.emulator import create_app as create_emulator

ACCOUNTS = 100
CONCURRENCY = 16
SECONDS = 20.0
PASSWORD = "a long enough bench password"
KEYS = AppKeys(APP_ID, REST_API_KEY, "bench-auth-key-0123456789")


def _database_name() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":", 1)[0]


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
        database = f"sqlite+aiosqlite:///{folder}/bench.db"
        with running_server(
            Path(folder),
            api_base=f"{emu}/v3",
            # BENCH_DATABASE_URL runs the same load on another database (an empty PostgreSQL one).
            database_url=os.environ.get("BENCH_DATABASE_URL", database),
        ) as server:
            emails = asyncio.run(_register(server.url, ACCOUNTS))
            logins, health, elapsed = asyncio.run(_load(server.url, emails))
    print(
        f"login load: {CONCURRENCY} clients for {elapsed:.0f} s, each sign-in followed by a "
        f"sign-out (argon2id m=19456 KiB, t=2, p=1; {_database_name()}; emulator on loopback)"
    )
    print(logins.line("login", elapsed))
    print(health.line("healthz", elapsed))


if __name__ == "__main__":
    main()
