"""``kill -9`` in the middle of a batch of registrations: after a restart, every account the
database holds (each one answered 201 among them) reaches CometChat, none twice."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import REST_KEY, set_faults
from tests.support.server_process import ServerProcess, production_env
from tests.support.unlimited import UNLIMITED
from tests.support.waiting import eventually

BATCH = 60
KILL_AFTER = 15  # answered registrations


def account_ids(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {uid for (uid,) in db.execute("SELECT id FROM users")}


def jobs_left(database: Path) -> int:
    with sqlite3.connect(database) as db:
        (count,) = db.execute("SELECT count(*) FROM outbox_jobs").fetchone()
        return int(count)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "crash.db"


@pytest.fixture
def server(tmp_path: Path, database: Path, emulator_url: str) -> Iterator[ServerProcess]:
    """``cometchat-auth serve`` in production mode against the test's emulator, on SQLite."""
    env = production_env(
        database_url=f"sqlite+aiosqlite:///{database}",
        state_dir=tmp_path / "state",
        emulator_url=emulator_url,
        # A short lease: jobs the killed process held are taken again soon after restart.
        OUTBOX_LEASE="2",
        OUTBOX_BACKOFF_BASE="0.05",
        OUTBOX_BACKOFF_CAP="0.5",
        OUTBOX_POLL_INTERVAL="0.2",
        OUTBOX_MAX_ATTEMPTS="10000",
        **{name.upper(): value for name, value in UNLIMITED.items()},
    )
    server = ServerProcess(env, tmp_path / "server.log")
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


def test_registrations_survive_kill_9(
    server: ServerProcess, database: Path, emulator_url: str
) -> None:
    server.start()
    # CometChat slow and failing: jobs are queued, backing off or in flight when the kill lands.
    set_faults(emulator_url, errorRate=0.6, latency=0.2)
    answered = asyncio.run(register_until_killed(server))
    assert server.process is not None
    assert server.process.returncode == -signal.SIGKILL
    assert len(answered) >= KILL_AFTER
    accounts = account_ids(database)
    assert answered <= accounts
    assert jobs_left(database) > 0  # the kill landed with CometChat work still to do
    set_faults(emulator_url, errorRate=0, latency=0)
    server.start()
    eventually(lambda: accounts <= set(cometchat_uids(emulator_url)), within=60, every=0.25)
    uids = cometchat_uids(emulator_url)
    assert len(uids) == len(set(uids))
    assert set(uids) == accounts
