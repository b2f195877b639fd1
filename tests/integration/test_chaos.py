"""Chaos: two ``serve`` processes and a standalone emulator on PostgreSQL and Redis, under mixed
load, with one ``kill -9`` and restart mid-load and a 10 s database cut through a TCP proxy the
test owns. Afterwards, once the outbox drained: the app's users are CometChat's, every CometChat
token belongs to a live session, no 500, no answer slower than DATABASE_TIMEOUT plus
COMETCHAT_DEADLINE, and every 503 carries Retry-After.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import REST_KEY
from tests.support.server_process import CLI, ENCRYPTION_KEY, ServerProcess, production_env
from tests.support.servers import free_port
from tests.support.tcp_proxy import TcpProxy, tcp_proxy
from tests.support.unlimited import UNLIMITED
from tests.support.waiting import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DATABASE_TIMEOUT = 2.0
COMETCHAT_DEADLINE = 3.0
#: The slowest answer allowed: the database's bound plus CometChat's.
SLOWEST = DATABASE_TIMEOUT + COMETCHAT_DEADLINE
OPERATIONS = 1000
USERS = 24
CUT_SECONDS = 10


@dataclass
class Outcomes:
    """Every answer: its operation, status (0: no answer, the process was killed) and time."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    slowest: float = 0.0
    slowest_op: str = ""
    without_retry_after: int = 0

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def note(self, op: str, answer: httpx.Response | None, elapsed: float) -> None:
        status = answer.status_code if answer is not None else 0
        self.statuses[(op, status)] += 1
        if answer is not None and elapsed > self.slowest:
            self.slowest, self.slowest_op = elapsed, f"{op} {status}"
        if status == 503 and "retry-after" not in answer.headers:  # type: ignore[union-attr]
            self.without_retry_after += 1

    def of_status(self, status: int) -> int:
        return sum(count for (_, code), count in self.statuses.items() if code == status)


@dataclass
class Person:
    email: str | None = None
    sessions: list[dict[str, str]] = field(default_factory=list)


class Cluster:
    """The two servers (each may be down for a while) and the client for each."""

    def __init__(self, servers: list[ServerProcess]) -> None:
        self.servers = servers
        self.down: set[int] = set()
        self.outcomes = Outcomes()

    def pick(self) -> str:
        alive = [n for n in range(len(self.servers)) if n not in self.down]
        return self.servers[random.choice(alive)].url

    async def call(
        self, http: httpx.AsyncClient, op: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        return await self.call_at(http, self.pick(), op, method, path, **kwargs)

    async def call_at(
        self, http: httpx.AsyncClient, base: str, op: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            answer: httpx.Response | None = await http.request(method, f"{base}{path}", **kwargs)
        except httpx.TransportError:
            answer = None  # the process was killed under this request
        self.outcomes.note(op, answer, time.monotonic() - started)
        return answer


def bearer(session: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access']}"}


def session_of(answer: httpx.Response | None) -> dict[str, str] | None:
    if answer is None or answer.status_code not in (200, 201):
        return None
    body = answer.json()
    return {"access": body["accessToken"], "refresh": body["refreshToken"]}


async def act(cluster: Cluster, http: httpx.AsyncClient, person: Person) -> None:
    """One operation, chosen by what ``person`` has: an account, sessions."""
    if person.email is None:
        email = new_email()
        answer = await cluster.call(
            http, "register", "POST", "/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Chaos Test"},
        )  # fmt: skip
        if answer is not None and answer.status_code == 201:
            person.email = email
            person.sessions.append(session_of(answer))  # type: ignore[arg-type]
        return
    choice = random.random()
    if not person.sessions or choice < 0.15:
        login = {"email": person.email, "password": PASSWORD}
        answer = await cluster.call(http, "login", "POST", "/auth/login", json=login)
        if (session := session_of(answer)) is not None:
            person.sessions.append(session)
        elif answer is not None and answer.status_code == 401:
            person.email, person.sessions = None, []  # deleted by a lost answer: start again
        return
    session = random.choice(person.sessions)
    if choice < 0.40:
        await refresh(cluster, http, person, session)
    elif choice < 0.50:
        await refresh_twice_at_once(cluster, http, person, session)
    elif choice < 0.62:
        await cluster.call(
            http,
            "rotate",
            "POST",
            "/cometchat/token",
            json={"rotate": True},
            headers=bearer(session),
        )
    elif choice < 0.75:
        answer = await cluster.call(http, "logout", "POST", "/auth/logout", headers=bearer(session))
        if answer is not None and answer.status_code in (204, 401):
            person.sessions.remove(session)
    elif choice < 0.95:
        name = {"name": f"Chaos {uuid.uuid4().hex[:6]}"}
        await cluster.call(http, "rename", "PATCH", "/auth/me", json=name, headers=bearer(session))
    else:
        answer = await cluster.call(
            http, "delete", "DELETE", "/auth/me", json={"password": PASSWORD},
            headers=bearer(session),
        )  # fmt: skip
        if answer is not None and answer.status_code == 204:
            person.email, person.sessions = None, []


async def refresh(
    cluster: Cluster, http: httpx.AsyncClient, person: Person, session: dict[str, str]
) -> None:
    body = {"refreshToken": session["refresh"]}
    answer = await cluster.call(http, "refresh", "POST", "/auth/refresh", json=body)
    keep(person, session, answer)


async def refresh_twice_at_once(
    cluster: Cluster, http: httpx.AsyncClient, person: Person, session: dict[str, str]
) -> None:
    """The same refresh token from two clients (two tabs) at once, one to each process."""
    body = {"refreshToken": session["refresh"]}
    bases = [server.url for n, server in enumerate(cluster.servers) if n not in cluster.down]
    answers = await asyncio.gather(
        *(
            cluster.call_at(http, bases[n % len(bases)], "refresh-race", "POST", "/auth/refresh",
                            json=body)
            for n in range(2)
        )
    )  # fmt: skip
    for answer in answers:
        keep(person, session, answer)


def keep(person: Person, session: dict[str, str], answer: httpx.Response | None) -> None:
    if (fresh := session_of(answer)) is not None:
        session.update(fresh)
    elif answer is not None and answer.status_code == 401 and session in person.sessions:
        person.sessions.remove(session)


async def load(cluster: Cluster, done: asyncio.Event) -> None:
    async def user(http: httpx.AsyncClient) -> None:
        person = Person()
        while not done.is_set():
            await act(cluster, http, person)
            await asyncio.sleep(random.uniform(0.005, 0.05))

    limits = httpx.Limits(max_connections=USERS * 2)
    async with httpx.AsyncClient(timeout=SLOWEST * 4, limits=limits) as http:
        await asyncio.gather(*(user(http) for _ in range(USERS)))


async def timeline(cluster: Cluster, proxy: TcpProxy, done: asyncio.Event) -> None:
    """Kill -9 and restart one process, then cut the database for 10 s, under load throughout."""

    async def until(operations: int) -> None:
        while cluster.outcomes.total < operations:  # noqa: ASYNC110 (a count, not an event)
            await asyncio.sleep(0.05)

    await until(OPERATIONS // 4)
    victim = cluster.servers[1]
    cluster.down.add(1)
    victim.kill()
    await asyncio.sleep(0.5)
    await asyncio.to_thread(victim.start)
    cluster.down.discard(1)
    await until(OPERATIONS // 2)
    proxy.set_mode("refuse")
    proxy.cut()
    await asyncio.sleep(CUT_SECONDS)
    proxy.set_mode("pass")
    await until(OPERATIONS)
    await asyncio.sleep(2)  # and some more after the recovery
    done.set()


async def run_load(cluster: Cluster, proxy: TcpProxy) -> None:
    done = asyncio.Event()
    await asyncio.gather(load(cluster, done), timeline(cluster, proxy, done))


async def query(database_url: str, statement: str) -> list[Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(statement)))
    finally:
        await engine.dispose()


def emulator_users(emulator_url: str) -> dict[str, set[str]]:
    answer = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    answer.raise_for_status()
    return {
        user["uid"]: {token["authToken"] for token in user["authTokens"]}
        for user in answer.json()["data"]
    }


def opened(sealed: str | None) -> str | None:
    if sealed is None:
        return None
    try:
        return Fernet(ENCRYPTION_KEY).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[str]:
    """A standalone emulator: its own process, as a real CometChat is elsewhere."""
    port = free_port()
    log = (tmp_path / "emulator.log").open("wb")
    process = subprocess.Popen(
        [CLI, "emulator", "--port", str(port), "--app-id", "testapp",
         "--rest-api-key", REST_KEY["apikey"], "--auth-key", "test-auth-key-0123456789"],
        stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert process.poll() is None, "the emulator exited"
            try:
                return httpx.get(f"{url}/_emulator/faults", headers=REST_KEY).status_code == 200
            except httpx.TransportError:
                return False

        eventually(up, within=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_chaos(empty_postgres_url: str, emulator_process: str, tmp_path: Path) -> None:
    with tcp_proxy("127.0.0.1", 5432) as proxy:
        proxied = empty_postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        env = production_env(
            database_url=proxied,
            state_dir=tmp_path / "state",
            emulator_url=emulator_process,
            REDIS_URL="redis://127.0.0.1:6379/0",
            DATABASE_TIMEOUT=str(DATABASE_TIMEOUT),
            COMETCHAT_TIMEOUT="1",
            COMETCHAT_DEADLINE=str(COMETCHAT_DEADLINE),
            OUTBOX_LEASE="2",
            OUTBOX_POLL_INTERVAL="0.2",
            OUTBOX_BACKOFF_BASE="0.1",
            OUTBOX_BACKOFF_CAP="1",
            OUTBOX_MAX_ATTEMPTS="100000",
            REFRESH_REUSE_GRACE="2",
            **{
                **{name.upper(): value for name, value in UNLIMITED.items()},
                "RATE_LIMIT_KEY_PREFIX": f"chaos-{uuid.uuid4().hex}",
            },
        )
        servers = [ServerProcess(env, tmp_path / f"server-{n}.log") for n in range(2)]
        try:
            for server in servers:
                server.spawn()  # together, on an empty database
            for server in servers:
                server.wait_up(within=60)
            cluster = Cluster(servers)
            asyncio.run(run_load(cluster, proxy))
            drained = partial_query(empty_postgres_url, "SELECT count(*) FROM outbox_jobs")
            eventually(lambda: drained() == 0, within=120, every=0.5)
        finally:
            for server in servers:
                server.stop()
    outcomes = cluster.outcomes
    report(outcomes)
    users = {uid for (uid,) in asyncio.run(query(empty_postgres_url, "SELECT id FROM users"))}
    sessions = asyncio.run(
        query(empty_postgres_url, "SELECT ended_at IS NULL, cometchat_token FROM sessions")
    )
    live = {opened(sealed) for alive, sealed in sessions if alive} - {None}
    ended = {opened(sealed) for alive, sealed in sessions if not alive} - {None}
    cometchat = emulator_users(emulator_process)
    tokens = set().union(*cometchat.values())
    print(f"users {len(users)}, CometChat tokens {len(tokens)}, live-session tokens {len(live)}")
    assert outcomes.total >= OPERATIONS
    assert outcomes.of_status(500) == 0, [error for s in servers for error in s.unhandled_errors()]
    assert outcomes.without_retry_after == 0
    assert outcomes.slowest <= SLOWEST
    assert set(cometchat) == users
    assert tokens & ended == set()  # no token of an ended session
    assert tokens <= live  # no token without a live owner


def partial_query(database_url: str, statement: str) -> Callable[[], int]:
    def count() -> int:
        ((value,),) = asyncio.run(query(database_url, statement))
        return int(value)

    return count


def report(outcomes: Outcomes) -> None:
    print(
        f"\n{outcomes.total} operations, slowest {outcomes.slowest:.2f} s ({outcomes.slowest_op})"
    )
    for (op, status), count in sorted(outcomes.statuses.items()):
        print(f"  {op:13} {status or 'no answer':>9}  {count}")
