"""A thousand-odd registrations, logins, profile changes and logouts while CometChat misbehaves
(30 % 5xx, 10 % 429, added latency, dropped connections): no 500 from us, and once CometChat is
well again and the outbox has drained, CometChat holds exactly the app's users, rightly named,
and no token of an ended session."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from cometchat_auth.outbox.models import JobRow
from cometchat_auth.store import open_database
from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import REST_KEY, set_faults
from tests.support.unlimited import UNLIMITED

USERS = 150
STEPS_PER_USER = 6  # after registering: 150 * 7 = 1,050 operations
CONCURRENCY = 16
FAULTS = {"errorRate": 0.3, "rateLimitRate": 0.1, "latency": 0.05, "dropRate": 0.05}


@dataclass
class Session:
    access: str
    auth_token: str | None


@dataclass
class Person:
    n: int
    email: str = field(default_factory=new_email)
    uid: str = ""
    name: str = ""
    sessions: list[Session] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    ended_tokens: list[tuple[str, str]] = field(default_factory=list)

    def expect(self, op: str, answer: httpx.Response, *allowed: int) -> None:
        self.statuses[(op, answer.status_code)] += 1
        assert answer.status_code in allowed, (op, answer.status_code, answer.text)


def signed_in(answer: httpx.Response) -> Session:
    body = answer.json()
    token = body["authToken"]
    if token is None:
        # CometChat could not be reached: the session stands, the answer says when to ask again.
        assert body["cometchat"]["status"] == "unavailable", body
        assert body["retryAfter"] >= 1
    else:
        assert body["cometchat"]["status"] == "ready", body
    return Session(body["accessToken"], token)


async def live_session(http: httpx.AsyncClient, person: Person, tally: Tally) -> Session:
    if not person.sessions:
        answer = await http.post("/auth/login", json={"email": person.email, "password": PASSWORD})
        tally.expect("login", answer, 200)
        person.sessions.append(signed_in(answer))
    return random.choice(person.sessions)


async def step(http: httpx.AsyncClient, person: Person, tally: Tally, k: int) -> None:
    op = random.choice(["login", "rename", "rename", "logout", "logout", "token"])
    if op == "login":
        answer = await http.post("/auth/login", json={"email": person.email, "password": PASSWORD})
        tally.expect(op, answer, 200)
        person.sessions.append(signed_in(answer))
        return
    session = await live_session(http, person, tally)
    headers = {"Authorization": f"Bearer {session.access}"}
    if op == "rename":
        name = f"Person {person.n} v{k}"
        answer = await http.patch("/auth/me", json={"name": name}, headers=headers)
        tally.expect(op, answer, 200)
        person.name = name
    elif op == "logout":
        answer = await http.post("/auth/logout", headers=headers)
        tally.expect(op, answer, 204)
        person.sessions.remove(session)
        if session.auth_token:
            tally.ended_tokens.append((person.uid, session.auth_token))
    else:
        answer = await http.post("/cometchat/token", headers=headers)
        tally.expect(op, answer, 200, 503)
        if answer.status_code == 503:
            assert answer.json()["error"]["code"] == "COMETCHAT_UNAVAILABLE"
            assert int(answer.headers["Retry-After"]) >= 1
        else:
            session.auth_token = answer.json()["authToken"]


async def live(
    http: httpx.AsyncClient, person: Person, tally: Tally, gate: asyncio.Semaphore
) -> None:
    async with gate:
        person.name = f"Person {person.n}"
        answer = await http.post(
            "/auth/register",
            json={"email": person.email, "password": PASSWORD, "name": person.name},
        )
        tally.expect("register", answer, 201)
        person.uid = answer.json()["user"]["id"]
        person.sessions.append(signed_in(answer))
        for k in range(STEPS_PER_USER):
            await step(http, person, tally, k)
        if person.n % 10 == 0:
            session = await live_session(http, person, tally)
            answer = await http.request(
                "DELETE",
                "/auth/me",
                json={"password": PASSWORD},
                headers={"Authorization": f"Bearer {session.access}"},
            )
            tally.expect("delete", answer, 204)
            person.deleted = True


async def outbox_drained(database_url: str, uids: set[str], *, within: float) -> None:
    """No job of these users left, not even a failed one (PostgreSQL's is shared by tests)."""
    async with open_database(database_url) as database:
        async with asyncio.timeout(within):
            while True:
                async with database.sessionmaker() as db:
                    left = await db.scalar(
                        select(func.count()).where(JobRow.ordering_key.in_(uids))
                    )
                if not left:
                    return
                await asyncio.sleep(0.25)


def cometchat_users(emulator_url: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    answer.raise_for_status()
    users: list[dict[str, Any]] = answer.json()["data"]
    return users


async def test_no_500_and_cometchat_ends_in_step_despite_faults(
    make_server: Callable[..., AbstractContextManager[str]],
    emulator_url: str,
    database_url: str,
) -> None:
    random.seed(5)
    people = [Person(n) for n in range(USERS)]
    tally = Tally()
    with make_server(
        # CometChat's faults are under test here, not the database's: SQLite's one writer queues
        # these clients for longer than the 5 s default bound (PostgreSQL keeps the default).
        **({"database_timeout": 30} if database_url.startswith("sqlite") else {}),
        cometchat_timeout=0.5,
        cometchat_deadline=1.0,
        cometchat_breaker_threshold=5,
        cometchat_breaker_reset=0.5,
        outbox_backoff_base=0.05,
        outbox_backoff_cap=1.0,
        outbox_poll_interval=0.2,
        outbox_max_attempts=10_000,
        **UNLIMITED,
    ) as url:
        set_faults(emulator_url, **FAULTS)
        gate = asyncio.Semaphore(CONCURRENCY)
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
            await asyncio.gather(*(live(http, person, tally, gate) for person in people))
        assert sum(tally.statuses.values()) >= 1000
        assert not [key for key in tally.statuses if key[1] >= 500 and key[1] != 503]
        set_faults(emulator_url, errorRate=0, rateLimitRate=0, latency=0, dropRate=0)
        await outbox_drained(database_url, {person.uid for person in people}, within=120)

    users = cometchat_users(emulator_url)
    uids = [user["uid"] for user in users]
    assert len(uids) == len(set(uids))
    expected = {person.uid: person.name for person in people if not person.deleted}
    ours = {person.uid for person in people}
    assert {user["uid"]: user["name"] for user in users if user["uid"] in ours} == expected
    tokens = {user["uid"]: {t["authToken"] for t in user["authTokens"]} for user in users}
    still_valid = [
        (uid, token) for uid, token in tally.ended_tokens if token in tokens.get(uid, set())
    ]
    assert still_valid == []
    print(dict(tally.statuses))
