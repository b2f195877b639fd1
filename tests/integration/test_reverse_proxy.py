"""Behind a real nginx balancing over two server processes with TRUSTED_PROXIES set: the client's
own address (not nginx's) is what sessions, the audit log and per-IP rate limits see, whether
nginx writes the usual X-Forwarded-For chain or an address with its port."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from cometchat_auth.audit.events import AuditEventRow
from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.nginx import FORWARDED_FOR, nginx
from tests.support.server_process import ServerProcess, production_env
from tests.support.unlimited import UNLIMITED

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

#: Two clients on other loopback addresses than nginx's 127.0.0.1: told apart only by the header.
ANN, BOB, CAROL = "127.0.0.5", "127.0.0.6", "127.0.0.7"
LOGINS_PER_IP = 3


@pytest.fixture(scope="module")
def balanced(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("proxy")
    with emulator_for_module() as emulator_url:
        env = production_env(
            database_url=postgres_url,
            state_dir=root / "state",
            emulator_url=emulator_url,
            REDIS_URL="redis://127.0.0.1:6379/0",
            TRUSTED_PROXIES="127.0.0.1",
            **{
                **{name.upper(): value for name, value in UNLIMITED.items()},
                "RATE_LIMIT_KEY_PREFIX": f"proxy-test-{uuid.uuid4().hex}",
                "RATE_LIMIT_LOGIN_IP": f"{LOGINS_PER_IP}/minute",
            },
        )
        servers = [ServerProcess(env, root / f"server-{n}.log") for n in range(2)]
        try:
            for server in servers:
                server.start()
            with nginx([f"127.0.0.1:{server.port}" for server in servers], root / "nginx") as urls:
                yield urls
        finally:
            for server in servers:
                server.stop()


def emulator_for_module() -> AbstractContextManager[str]:
    from cometchat_auth.emulator import AppKeys, EmulatorConfig, create_app
    from tests.support.servers import serve

    keys = AppKeys("testapp", "test-rest-key-0123456789", "test-auth-key-0123456789")
    return serve(create_app(EmulatorConfig(apps=[keys])))


def client_from(address: str, base_url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=30)


async def audited_ips(postgres_url: str, user_id: str) -> set[str | None]:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(AuditEventRow.ip).where(AuditEventRow.user_id == user_id)
            )
            return {ip for (ip,) in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("forwarded_for", list(FORWARDED_FOR))
def test_sessions_and_audit_show_the_real_client(
    balanced: dict[str, str], postgres_url: str, forwarded_for: str
) -> None:
    with client_from(ANN, balanced[forwarded_for]) as ann:
        body = register(ann)
        login = ann.post("/auth/login", json={"email": body["user"]["email"], "password": PASSWORD})
        assert login.status_code == 200
        sessions = ann.get("/auth/sessions", headers=bearer(login.json())).json()
    assert {session["ip"] for session in sessions} == {ANN}
    assert asyncio.run(audited_ips(postgres_url, body["user"]["id"])) == {ANN}


def test_per_ip_limits_count_each_real_client_across_both_processes(
    balanced: dict[str, str],
) -> None:
    def attempt(client: httpx.Client) -> int:
        wrong = {"email": new_email(), "password": PASSWORD}  # a new account each time: no lock-out
        return client.post("/auth/login", json=wrong).status_code

    with (
        client_from(CAROL, balanced["with_port"]) as carol,
        client_from(BOB, balanced["chain"]) as bob,
    ):
        # nginx spreads Carol's attempts over both processes; Redis counts them as one client's.
        assert [attempt(carol) for _ in range(LOGINS_PER_IP)] == [401] * LOGINS_PER_IP
        limited = carol.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        # Bob, behind the same nginx, has his own count.
        assert attempt(bob) == 401
