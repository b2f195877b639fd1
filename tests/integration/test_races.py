"""Races a real client can cause: one email registered at once, one refresh token spent twice,
one person signing in on many devices at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import emulator_user
from tests.support.unlimited import UNLIMITED


@pytest.fixture
def server_url(make_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """The server with rate limits out of the way: these bursts are the point here."""
    with make_server(**UNLIMITED) as url:
        yield url


async def burst(
    url: str, count: int, path: str, bodies: list[dict[str, object]]
) -> list[httpx.Response]:
    """``count`` requests fired together (the server gets them all before answering any)."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        return list(await asyncio.gather(*(http.post(path, json=body) for body in bodies)))


async def test_fifty_registrations_of_one_email_make_one_account(
    server_url: str, emulator_url: str
) -> None:
    email = new_email()
    local, domain = email.split("@")
    # The same mailbox spelled fifty ways (case, width): one account key.
    spellings = [email, email.upper(), f"{local}@{domain.upper()}", f"{local.upper()}@{domain}"]
    bodies: list[dict[str, object]] = [
        {"email": spellings[n % len(spellings)], "password": PASSWORD, "name": f"Twin {n}"}
        for n in range(50)
    ]
    answers = await burst(server_url, 50, "/auth/register", bodies)
    assert Counter(answer.status_code for answer in answers) == {201: 1, 409: 49}
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "EMAIL_TAKEN"
    (winner,) = [answer.json() for answer in answers if answer.status_code == 201]
    assert emulator_user(emulator_url, winner["user"]["id"]) is not None
    async with httpx.AsyncClient(base_url=server_url) as http:
        login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.json()["user"]["id"] == winner["user"]["id"]


async def test_two_refreshes_with_one_token_within_the_grace_both_get_its_successor(
    make_server: Callable[..., AbstractContextManager[str]],
) -> None:
    """Two tabs refreshing at the same moment: both answered, with the same new refresh token."""
    with make_server(refresh_reuse_grace=30, **UNLIMITED) as url:
        with httpx.Client(base_url=url) as http:
            signed_in = register(http)
        body = {"refreshToken": signed_in["refreshToken"]}
        answers = await burst(url, 2, "/auth/refresh", [body, body])
        assert [answer.status_code for answer in answers] == [200, 200]
        assert len({answer.json()["refreshToken"] for answer in answers}) == 1
        with httpx.Client(base_url=url) as http:
            following = http.post(
                "/auth/refresh", json={"refreshToken": answers[0].json()["refreshToken"]}
            )
        assert following.status_code == 200


async def test_two_refreshes_with_one_token_without_grace_end_the_session(
    make_server: Callable[..., AbstractContextManager[str]],
) -> None:
    """With no grace the second presentation is a reuse, race or not: the session must die,
    whichever request won."""
    with make_server(refresh_reuse_grace=0, **UNLIMITED) as url:
        with httpx.Client(base_url=url) as http:
            signed_in = register(http)
        body = {"refreshToken": signed_in["refreshToken"]}
        answers = await burst(url, 2, "/auth/refresh", [body, body])
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses in ([200, 401], [401, 401]), statuses
        with httpx.Client(base_url=url) as http:
            for answer in answers:
                if answer.status_code == 200:
                    newest = answer.json()
                    gone = http.post("/auth/refresh", json={"refreshToken": newest["refreshToken"]})
                    assert gone.status_code == 401
                    assert http.get("/auth/me", headers=bearer(newest)).status_code == 401


async def test_concurrent_logins_of_one_person_get_their_own_sessions_and_tokens(
    server_url: str, emulator_url: str
) -> None:
    email = new_email()
    with httpx.Client(base_url=server_url) as http:
        user_id = register(http, email=email)["user"]["id"]
    body: dict[str, object] = {"email": email, "password": PASSWORD}
    answers = await burst(server_url, 12, "/auth/login", [body] * 12)
    assert {answer.status_code for answer in answers} == {200}
    signed_in = [answer.json() for answer in answers]
    for field in ("accessToken", "refreshToken", "authToken"):
        assert len({each[field] for each in signed_in}) == 12, field
    cometchat = emulator_user(emulator_url, user_id)
    assert cometchat is not None
    live = {token["authToken"] for token in cometchat["authTokens"]}
    assert {each["authToken"] for each in signed_in} <= live


async def test_thirty_two_concurrent_rotations_all_answer_with_their_own_new_tokens(
    server_url: str,
) -> None:
    """More rotations at once than the database pool has connections: each must answer (a
    request that held its connection while it waited for another starved the pool)."""
    email = new_email()
    with httpx.Client(base_url=server_url) as http:
        register(http, email=email)
    body: dict[str, object] = {"email": email, "password": PASSWORD}
    signed_in = [
        answer.json() for answer in await burst(server_url, 32, "/auth/login", [body] * 32)
    ]
    limits = httpx.Limits(max_connections=32)
    # Well within DATABASE_TIMEOUT plus CometChat's deadline, however slow the machine.
    async with httpx.AsyncClient(base_url=server_url, timeout=30, limits=limits) as http:
        answers = await asyncio.gather(
            *(
                http.post("/cometchat/token", json={"rotate": True}, headers=bearer(each))
                for each in signed_in
            )
        )
    assert [answer.status_code for answer in answers] == [200] * 32
    rotated = {answer.json()["authToken"] for answer in answers}
    assert len(rotated) == 32
    assert rotated.isdisjoint(each["authToken"] for each in signed_in)
