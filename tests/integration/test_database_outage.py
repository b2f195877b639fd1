"""The database away (refused, blackholed, cut) through a TCP proxy the test owns: every request
answers ``503 DATABASE_UNAVAILABLE`` with Retry-After within DATABASE_TIMEOUT, the keep-alive
connection stays usable, ``/healthz`` stays 200, ``/readyz`` says 503; all of it recovers."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.auth_server import PASSWORD, new_email, register
from tests.support.server_process import CLI
from tests.support.tcp_proxy import TcpProxy, tcp_proxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres

#: Far above DATABASE_TIMEOUT (1 s here): a client giving up first would mean a hang.
CLIENT_TIMEOUT = 15


@pytest.fixture
def server_url(
    proxy: TcpProxy, postgres_url: str, make_server: Callable[..., AbstractContextManager[str]]
) -> Iterator[str]:
    proxied = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    with make_server(database_url=proxied, database_timeout=1.0) as url:
        yield url


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url  # these tests are about PostgreSQL behind the proxy only


def login(client: httpx.Client, email: str) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": PASSWORD})


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert int(answer.headers["retry-after"]) >= 1


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_requests_answer_503_while_the_database_is_away_then_recover(
    server_url: str, proxy: TcpProxy, mode: Any
) -> None:
    with httpx.Client(base_url=server_url, timeout=CLIENT_TIMEOUT) as client:
        email = new_email()
        body = register(client, email=email)
        headers = {"Authorization": f"Bearer {body['accessToken']}"}
        proxy.set_mode(mode)
        proxy.cut()
        assert_unavailable(login(client, email))
        assert_unavailable(client.get("/auth/me", headers=headers))
        assert_unavailable(
            client.post("/auth/refresh", json={"refreshToken": body["refreshToken"]})
        )
        assert client.get("/healthz").status_code == 200
        proxy.set_mode("pass")
        # Back without a restart: the pool replaces the connections that died.
        eventually(lambda: login(client, email).status_code == 200)
        assert client.get("/auth/me", headers=headers).status_code == 200


def test_the_keep_alive_connection_survives_a_503(server_url: str, proxy: TcpProxy) -> None:
    with httpx.Client(base_url=server_url, timeout=CLIENT_TIMEOUT) as client:
        email = new_email()
        register(client, email=email)
    host, port = server_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=CLIENT_TIMEOUT)
    payload = json.dumps({"email": email, "password": PASSWORD})
    json_headers = {"Content-Type": "application/json"}
    proxy.set_mode("refuse")
    proxy.cut()
    statuses = []
    for _ in range(3):
        connection.request("POST", "/auth/login", body=payload, headers=json_headers)
        answer = connection.getresponse()
        answer.read()
        assert answer.getheader("connection") != "close"
        statuses.append(answer.status)
    proxy.set_mode("pass")
    socket_before = connection.sock
    connection.request("POST", "/auth/login", body=payload, headers=json_headers)
    answer = connection.getresponse()
    answer.read()
    # The same socket all along: the balancer in front sees no reset.
    assert connection.sock is socket_before
    assert statuses == [503, 503, 503]
    assert answer.status == 200


def test_readyz_follows_the_database_and_healthz_does_not(server_url: str, proxy: TcpProxy) -> None:
    with httpx.Client(base_url=server_url, timeout=CLIENT_TIMEOUT) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        checks = {check["name"]: check for check in ready.json()["checks"]}
        assert checks["database"]["state"] == "up"
        assert checks["database"]["latencyMs"] >= 0
        # Reported, never required: sign-in goes on while CometChat is away.
        assert checks["cometchat"] == {
            "name": "cometchat",
            "state": "closed",
            "latencyMs": checks["cometchat"]["latencyMs"],
            "required": False,
        }
        for mode in ("blackhole", "refuse"):
            proxy.set_mode(mode)
            proxy.cut()
            unready = client.get("/readyz")
            assert unready.status_code == 503
            assert unready.headers["retry-after"]
            body = unready.json()
            assert body["error"]["code"] == "NOT_READY"
            assert {c["name"]: c["state"] for c in body["checks"]}["database"] == "down"
            assert client.get("/healthz").status_code == 200
            proxy.set_mode("pass")
            eventually(lambda: client.get("/readyz").status_code == 200)


@pytest.mark.redis
def test_readyz_needs_redis_where_it_is_set(
    make_server: Callable[..., AbstractContextManager[str]],
) -> None:
    with (
        tcp_proxy("127.0.0.1", 6379) as redis,
        make_server(redis_url=f"redis://127.0.0.1:{redis.port}/0", database_timeout=1.0) as url,
        httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT) as client,
    ):
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert {c["name"]: c["state"] for c in ready.json()["checks"]}["redis"] == "up"
        redis.set_mode("refuse")
        redis.cut()
        unready = client.get("/readyz")
        assert unready.status_code == 503
        states = {c["name"]: c["state"] for c in unready.json()["checks"]}
        assert states == {"database": "up", "redis": "down", "cometchat": "closed"}


@pytest.mark.parametrize("command", [["migrate"], ["outbox", "list"], ["audit"]])
def test_cli_commands_say_the_database_is_away(
    proxy: TcpProxy, postgres_url: str, tmp_path: Path, command: list[str]
) -> None:
    proxy.set_mode("refuse")
    proxied = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    done = subprocess.run(
        [CLI, *command],
        env={"PATH": "", "DATABASE_URL": proxied},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert "the database cannot be reached" in done.stderr
    assert "Traceback" not in done.stderr
