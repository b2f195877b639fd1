"""Several servers (or ``cometchat-auth migrate`` runs) started at the same moment on an empty
database all come up: migrations run one at a time under a lock, the others find them done."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.auth_server import PASSWORD, new_email
from tests.support.server_process import CLI, ServerProcess, production_env

PROCESSES = 4


def start_together(database_url: str, tmp_path: Path, emulator_url: str) -> list[ServerProcess]:
    env = production_env(
        database_url=database_url, state_dir=tmp_path / "state", emulator_url=emulator_url
    )
    servers = [ServerProcess(env, tmp_path / f"server-{n}.log") for n in range(PROCESSES)]
    for server in servers:
        server.spawn()
    return servers


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


def test_servers_started_together_on_an_empty_database_all_come_up(
    empty_database_url: str, tmp_path: Path, emulator_url: str
) -> None:
    servers = start_together(empty_database_url, tmp_path, emulator_url)
    try:
        for server in servers:
            server.wait_up(within=60)
        # Each one serves from the one schema: an account made on one signs in on every other.
        email = new_email()
        body = {"email": email, "password": PASSWORD, "name": "Ann"}
        assert httpx.post(f"{servers[0].url}/auth/register", json=body).status_code == 201
        for server in servers:
            login = httpx.post(
                f"{server.url}/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert "Traceback" not in server.log.read_text()


def test_migrate_commands_run_together_all_succeed(empty_database_url: str, tmp_path: Path) -> None:
    env = {"PATH": "", "DATABASE_URL": empty_database_url}
    runs = [
        subprocess.Popen([CLI, "migrate"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * PROCESSES
    # All report the same, newest revision.
    assert len(set(outputs)) == 1
    assert outputs[0].startswith("database migrated to ")
