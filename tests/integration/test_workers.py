"""`serve --workers 2`: two processes share the sessions, and SIGTERM loses nothing.

Which worker answers a connection is read from /proc (the server's end of the TCP connection
belongs to one worker's file table), so the server exposes nothing to tell them apart.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from cometchat_auth.emulator import EmulatorConfig, create_app
from cometchat_auth.serving import MALLOC_TUNABLES
from tests.integration.test_cli import CLI, clean_env
from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import set_faults, token_works
from tests.support.processes import wait_until_up
from tests.support.servers import free_port, serve
from tests.support.waiting import eventually
from tests.support.workers import descendants, serving_pid

Connection = http.client.HTTPConnection


class TokenCalls:
    """The emulator, counting the CometChat token requests that reached it (started, maybe
    not yet answered): a request of ours counted here is in flight in the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrived = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/auth_tokens"):
            with self._lock:
                self.arrived += 1
        await self.app(scope, receive, send)


@dataclass
class Upstream:
    url: str
    calls: TokenCalls
    rest_key: str


@pytest.fixture
def upstream(emulator_config: EmulatorConfig) -> Iterator[Upstream]:
    calls = TokenCalls(create_app(emulator_config))
    with serve(calls) as url:
        yield Upstream(url, calls, emulator_config.apps[0].rest_api_key)


@dataclass
class Served:
    port: int
    process: subprocess.Popen[Any]

    def connect(self) -> Connection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.connect()
        return connection

    def worker_of(self, connection: Connection) -> int:
        assert call(connection, "GET", "/healthz")[0] == 200  # accepted by a worker by now
        client_port = connection.sock.getsockname()[1]
        pid = serving_pid(self.port, client_port, descendants(self.process.pid))
        assert pid is not None
        return pid


def call(
    connection: Connection,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, json.dumps(body) if body else None, headers)
    answer = connection.getresponse()
    raw = answer.read()
    return answer.status, json.loads(raw) if raw else None


def chat_token(connection: Connection, signed_in: dict[str, Any]) -> str:
    """The session's CometChat token: the sign-in's, or, if it came without one, asked for on
    the same worker. A sign-in does not wait on a job another worker holds (the user's creation,
    taken by its outbox's poll): it answers with none, and the client asks once it is done."""
    if signed_in["authToken"]:
        return str(signed_in["authToken"])
    status, token = call(connection, "POST", "/cometchat/token", token=signed_in["accessToken"])
    assert status == 200, token
    return str(token["authToken"])


@pytest.fixture
def two_workers(tmp_path: Path, database_url: str, upstream: Upstream) -> Iterator[Served]:
    port = free_port()
    env = clean_env(
        PORT=str(port),
        DATABASE_URL=database_url,
        COMETCHAT_APP_ID="testapp",
        COMETCHAT_REST_API_KEY=upstream.rest_key,
        COMETCHAT_API_BASE=f"{upstream.url}/v3",
        STATE_DIR=str(tmp_path / "var"),
        ARGON2_MEMORY_COST="64",
        ARGON2_TIME_COST="1",
    )
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [CLI, "serve", "--workers", "2"], env=env, cwd=tmp_path, stdout=output, stderr=output
        )
    try:
        # Three processes start on two busy cores: give them time.
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, within=120, output=log.read_text)
        yield Served(port, process)
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, as a service manager would: the supervisor stops its workers before it exits
    (a SIGKILL would leave them running, polling the shared test database)."""
    if process.poll() is None:
        workers = descendants(process.pid)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in [process.pid, *workers]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def connection_on(server: Served, *, not_on: int | None = None) -> tuple[int, Connection]:
    """A fresh connection and the worker holding it, a worker other than ``not_on``: the kernel
    picks, so connect until it does (on a busy machine the second worker may start late)."""
    found: list[tuple[int, Connection]] = []

    def attempt() -> bool:
        connection = server.connect()
        pid = server.worker_of(connection)
        if pid == not_on:
            connection.close()
            return False
        found.append((pid, connection))
        return True

    eventually(attempt, within=120, every=0.05)
    return found[0]


def test_a_session_made_on_one_worker_works_on_the_other(two_workers: Served) -> None:
    first, on_first = connection_on(two_workers)
    email = new_email()
    status, signed_in = call(
        on_first, "POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Wu"}
    )
    assert status == 201, signed_in
    saved = chat_token(on_first, signed_in)

    second, on_second = connection_on(two_workers, not_on=first)
    status, me = call(on_second, "GET", "/auth/me", token=signed_in["accessToken"])
    assert status == 200
    assert me["email"] == email
    # The CometChat token saved by the first worker is the one the second hands out.
    status, token = call(on_second, "POST", "/cometchat/token", token=signed_in["accessToken"])
    assert status == 200
    assert token["authToken"] == saved
    # A refresh on the second worker rotates what the first one accepts...
    status, refreshed = call(
        on_second, "POST", "/auth/refresh", {"refreshToken": signed_in["refreshToken"]}
    )
    assert status == 200

    _, on_first = connection_on(two_workers, not_on=second)
    assert call(on_first, "GET", "/auth/me", token=refreshed["accessToken"])[0] == 200
    # ... the replaced token, again within the grace, gets the same successor there (derived,
    # not stored in either worker) ...
    spent = {"refreshToken": signed_in["refreshToken"]}
    status, again = call(on_first, "POST", "/auth/refresh", spent)
    assert status == 200
    assert again["refreshToken"] == refreshed["refreshToken"]
    # ... and once a newer rotation replaced it, showing it ends the session on the second too.
    status, newer = call(on_first, "POST", "/auth/refresh", {"refreshToken": again["refreshToken"]})
    assert status == 200
    assert call(on_first, "POST", "/auth/refresh", spent)[0] == 401
    _, on_second = connection_on(two_workers, not_on=first)
    assert call(on_second, "GET", "/auth/me", token=newer["accessToken"])[0] == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the same on either
def test_the_supervisor_and_each_worker_run_with_malloc_tuned_for_argon2id(
    two_workers: Served,
) -> None:
    """glibc reads GLIBC_TUNABLES at start only: ``serve`` starts itself again with them (the
    same process) and its workers inherit them."""
    first, _ = connection_on(two_workers)
    second, _ = connection_on(two_workers, not_on=first)
    for pid in (two_workers.process.pid, first, second):
        environ = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        name = "GLIBC_TUNABLES="
        tunables = next(v.removeprefix(name) for v in environ if v.startswith(name))
        # As glibc 2.36 parses the tunables it cuts the string it was given after the first.
        assert tunables.split(":")[0] == MALLOC_TUNABLES[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the same on either
def test_sigterm_lets_requests_in_flight_finish_and_exits_cleanly(
    two_workers: Served, upstream: Upstream
) -> None:
    emails = [new_email() for _ in range(6)]
    with httpx.Client(base_url=f"http://127.0.0.1:{two_workers.port}", timeout=30) as client:
        for email in emails:
            body = {"email": email, "password": PASSWORD, "name": "Wu"}
            assert client.post("/auth/register", json=body).status_code == 201
    # Every sign-in now waits a while on CometChat: long enough to be caught mid-way.
    set_faults(upstream.url, latency=1.5)
    before = upstream.calls.arrived

    def login(email: str) -> httpx.Response:
        body = {"email": email, "password": PASSWORD}
        return httpx.post(f"http://127.0.0.1:{two_workers.port}/auth/login", json=body, timeout=30)

    with ThreadPoolExecutor(len(emails)) as pool:
        answers = [pool.submit(login, email) for email in emails]
        eventually(lambda: upstream.calls.arrived - before >= len(emails), within=60)
        two_workers.process.send_signal(signal.SIGTERM)
        results = [answer.result() for answer in answers]

    assert [result.status_code for result in results] == [200] * len(emails)
    assert two_workers.process.wait(timeout=30) == 0
    set_faults(upstream.url, latency=0)
    assert all(token_works(upstream.url, result.json()["authToken"]) for result in results)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{two_workers.port}/healthz")


def test_local_mode_runs_one_emulator_for_every_worker(tmp_path: Path) -> None:
    port, emulator_port, tls_port = free_port(), free_port(), free_port()
    env = clean_env(
        PORT=str(port),
        EMULATOR_PORT=str(emulator_port),
        EMULATOR_TLS_PORT=str(tls_port),
        STATE_DIR=str(tmp_path / "var"),
        ARGON2_MEMORY_COST="64",
        ARGON2_TIME_COST="1",
    )
    process = subprocess.Popen(
        [CLI, "serve", "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(
            f"{url}/healthz", process, within=120, output=lambda: process.communicate()[0]
        )
        served = Served(port, process)
        previous = None
        for _ in range(2):  # one sign-up on each worker
            previous, connection = connection_on(served, not_on=previous)
            body = {"email": new_email(), "password": PASSWORD, "name": "Lo"}
            status, signed_in = call(connection, "POST", "/auth/register", body)
            assert status == 201, signed_in
            emulator = f"http://127.0.0.1:{emulator_port}"
            assert token_works(emulator, chat_token(connection, signed_in))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        stop(process)
    assert process.returncode == 0
    # One emulator, in the supervisor: each port is bound once, no worker tries again.
    assert output.count(f"Uvicorn running on http://127.0.0.1:{emulator_port}") == 1
    assert "address already in use" not in output.lower()
