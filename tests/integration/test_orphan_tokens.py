"""No CometChat token without an owner: a login whose process is killed, or whose database is
cut or blackholed, before or after CometChat's answer and before the commit, leaves no token
behind that no live session holds (CometChat's tokens never expire)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import emulator_user, set_faults
from tests.support.server_process import ENCRYPTION_KEY, ServerProcess, production_env
from tests.support.tcp_proxy import TcpProxy
from tests.support.unlimited import UNLIMITED
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres

#: CometChat takes this long to answer the login's mint: the faults land inside it.
LATENCY = 2.0


@pytest.fixture
def server(
    proxy: TcpProxy, postgres_url: str, emulator_url: str, tmp_path: Path
) -> Iterator[ServerProcess]:
    env = production_env(
        database_url=postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"),
        state_dir=tmp_path / "state",
        emulator_url=emulator_url,
        DATABASE_TIMEOUT="1",
        COMETCHAT_TIMEOUT="4",
        COMETCHAT_DEADLINE="5",
        MINT_GUARD_GRACE="5",
        OUTBOX_LEASE="1",
        OUTBOX_POLL_INTERVAL="0.2",
        OUTBOX_BACKOFF_BASE="0.1",
        OUTBOX_BACKOFF_CAP="0.5",
        OUTBOX_MAX_ATTEMPTS="10000",
        **{name.upper(): value for name, value in UNLIMITED.items()},
    )
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def live_tokens(postgres_url: str, uid: str) -> set[str]:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            sealed = await connection.scalars(
                text(
                    "SELECT cometchat_token FROM sessions WHERE user_id = :uid"
                    " AND ended_at IS NULL AND cometchat_token IS NOT NULL"
                ),
                {"uid": uid},
            )
            return {Fernet(ENCRYPTION_KEY).decrypt(one.encode()).decode() for one in sealed}
    finally:
        await engine.dispose()


def cometchat_tokens(emulator_url: str, uid: str) -> set[str]:
    user = emulator_user(emulator_url, uid)
    assert user is not None
    return {token["authToken"] for token in user["authTokens"]}


def login_in_background(url: str, email: str) -> threading.Thread:
    def login() -> None:
        with contextlib.suppress(httpx.TransportError):  # killed under it
            httpx.post(f"{url}/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)

    thread = threading.Thread(target=login, daemon=True)
    thread.start()
    return thread


def kill_before_the_answer(server: ServerProcess, proxy: TcpProxy) -> None:
    time.sleep(LATENCY / 2)
    server.kill()
    server.start()


def kill_after_the_answer_before_the_commit(server: ServerProcess, proxy: TcpProxy) -> None:
    # The database blackholed under the request: CometChat answers, the save waits, then dies.
    time.sleep(LATENCY / 2)
    proxy.set_mode("blackhole")
    time.sleep(LATENCY)
    server.kill()
    proxy.set_mode("pass")
    server.start()


def cut_before_the_answer(server: ServerProcess, proxy: TcpProxy) -> None:
    # The database refuses from before CometChat's answer until after the save was tried.
    time.sleep(LATENCY / 2)
    proxy.set_mode("refuse")
    proxy.cut()
    time.sleep(LATENCY * 1.5)
    proxy.set_mode("pass")


def cut_after_the_answer(server: ServerProcess, proxy: TcpProxy) -> None:
    # Blackholed before the answer, cut after it: the save's connection dies under it.
    time.sleep(LATENCY / 2)
    proxy.set_mode("blackhole")
    time.sleep(LATENCY)
    proxy.set_mode("refuse")
    proxy.cut()
    time.sleep(1)
    proxy.set_mode("pass")


@pytest.mark.parametrize(
    "fault",
    [
        kill_before_the_answer,
        kill_after_the_answer_before_the_commit,
        cut_before_the_answer,
        cut_after_the_answer,
    ],
)
def test_a_token_minted_around_a_fault_is_saved_or_deleted(
    server: ServerProcess,
    proxy: TcpProxy,
    emulator_url: str,
    postgres_url: str,
    fault: Callable[[ServerProcess, TcpProxy], None],
) -> None:
    email = new_email()
    body = {"email": email, "password": PASSWORD, "name": "Orphan Test"}
    registered = httpx.post(f"{server.url}/auth/register", json=body, timeout=30)
    assert registered.status_code == 201
    uid = registered.json()["user"]["id"]
    set_faults(emulator_url, latency=LATENCY)
    login = login_in_background(server.url, email)
    fault(server, proxy)
    login.join(timeout=30)
    set_faults(emulator_url, latency=0)

    def in_step() -> bool:
        live = asyncio.run(live_tokens(postgres_url, uid))
        return bool(live) and cometchat_tokens(emulator_url, uid) == live

    # The registration's token stays; the login's is saved to its session or deleted.
    eventually(in_step, within=60, every=0.5)
