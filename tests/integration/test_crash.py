"""``kill -9`` in the middle of a batch of registrations: after a restart, every account the
database holds (each one answered 201 among them) reaches CometChat, none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import REST_KEY, set_faults
from tests.support.processes import wait_until_up
from tests.support.servers import free_port
from tests.support.unlimited import UNLIMITED
from tests.support.waiting import eventually

CLI = str(Path(sys.executable).with_name("cometchat-auth"))
BATCH = 60
KILL_AFTER = 15  # answered registrations


class ServerProcess:
    """``cometchat-auth serve`` in production mode against the test's emulator, on SQLite."""

    def __init__(self, tmp_path: Path, emulator_url: str) -> None:
        self.tmp_path = tmp_path
        self.database = tmp_path / "crash.db"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "APP_ENV": "production",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "STATE_DIR": str(tmp_path / "state"),
            "SECRET_KEY": "crash-test-secret-key-for-access-tokens",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "COMETCHAT_APP_ID": "testapp",
            "COMETCHAT_REST_API_KEY": REST_KEY["apikey"],
            "COMETCHAT_API_BASE": f"{emulator_url}/v3",
            "COMETCHAT_TIMEOUT": "0.5",
            "COMETCHAT_DEADLINE": "1",
            "COMETCHAT_BREAKER_RESET": "0.5",
            "CORS_ORIGINS": "http://app.example",
            "PUBLIC_URL": "https://auth.example",
            "ARGON2_MEMORY_COST": "64",
            "ARGON2_TIME_COST": "1",
            # A short lease: jobs the killed process held are taken again soon after restart.
            "OUTBOX_LEASE": "2",
            "OUTBOX_BACKOFF_BASE": "0.05",
            "OUTBOX_BACKOFF_CAP": "0.5",
            "OUTBOX_POLL_INTERVAL": "0.2",
            "OUTBOX_MAX_ATTEMPTS": "10000",
            **{name.upper(): value for name, value in UNLIMITED.items()},
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        log = self.tmp_path / f"server-{len(self.processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [CLI, "serve"], env=self.env, cwd=self.tmp_path, stdout=out, stderr=out
            )
        self.processes.append(process)
        wait_until_up(f"{self.url}/healthz", process, output=log.read_text)

    def kill(self) -> None:
        process = self.processes[-1]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=15)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    def account_ids(self) -> set[str]:
        with sqlite3.connect(self.database) as db:
            return {uid for (uid,) in db.execute("SELECT id FROM users")}

    def jobs_left(self) -> int:
        with sqlite3.connect(self.database) as db:
            (count,) = db.execute("SELECT count(*) FROM outbox_jobs").fetchone()
            return int(count)


@pytest.fixture
def server(tmp_path: Path, emulator_url: str) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path, emulator_url)
    try:
        yield server
    finally:
        server.stop()


async def register_until_killed(server: ServerProcess) -> set[str]:
    """Fire the batch; SIGKILL the server once ``KILL_AFTER`` answered. The uids answered 201."""
    answered: set[str] = set()
    gate = asyncio.Semaphore(8)

    async def one(http: httpx.AsyncClient) -> None:
        async with gate:
            try:
                answer = await http.post(
                    "/auth/register",
                    json={"email": new_email(), "password": PASSWORD, "name": "Crash Test"},
                )
            except httpx.TransportError:
                return  # cut off by the kill: committed or not, the database says
            if answer.status_code == 201:
                answered.add(answer.json()["user"]["id"])
            if len(answered) == KILL_AFTER:
                server.kill()

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await asyncio.gather(*(one(http) for _ in range(BATCH)))
    return answered


def cometchat_uids(emulator_url: str) -> list[str]:
    answer = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    return [user["uid"] for user in answer.json()["data"]]


def test_registrations_survive_kill_9(server: ServerProcess, emulator_url: str) -> None:
    server.start()
    # CometChat slow and failing: jobs are queued, backing off or in flight when the kill lands.
    set_faults(emulator_url, errorRate=0.6, latency=0.2)
    answered = asyncio.run(register_until_killed(server))
    assert server.processes[-1].returncode == -signal.SIGKILL
    assert len(answered) >= KILL_AFTER
    accounts = server.account_ids()
    assert answered <= accounts
    assert server.jobs_left() > 0  # the kill landed with CometChat work still to do
    set_faults(emulator_url, errorRate=0, latency=0)
    server.start()
    eventually(lambda: accounts <= set(cometchat_uids(emulator_url)), within=60, every=0.25)
    uids = cometchat_uids(emulator_url)
    assert len(uids) == len(set(uids))
    assert set(uids) == accounts
