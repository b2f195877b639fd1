"""Races a security review found: concurrent CometChat token mints and first failed logins."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import token_works
from tests.support.unlimited import UNLIMITED


@pytest.fixture
def server_url(make_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    with make_server(**UNLIMITED) as url:
        yield url


async def burst(url: str, count: int, path: str, **request: Any) -> list[httpx.Response]:
    """``count`` identical POSTs fired together."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        return list(await asyncio.gather(*(http.post(path, **request) for _ in range(count))))


async def test_concurrent_rotations_leave_no_token_alive_after_logout(
    server_url: str, emulator_url: str
) -> None:
    with httpx.Client(base_url=server_url) as http:
        signed_in = register(http)
    answers = await burst(
        server_url, 6, "/cometchat/token", json={"rotate": True}, headers=bearer(signed_in)
    )
    assert {answer.status_code for answer in answers} == {200}
    handed_out = {answer.json()["authToken"] for answer in answers} | {signed_in["authToken"]}
    with httpx.Client(base_url=server_url) as http:
        assert http.post("/auth/logout", headers=bearer(signed_in)).status_code == 204
    assert [token for token in handed_out if token_works(emulator_url, token)] == []


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
async def test_concurrent_wrong_passwords_are_all_refused_and_all_counted(
    server_url: str, known: bool
) -> None:
    with httpx.Client(base_url=server_url) as http:
        email = register(http)["user"]["email"] if known else new_email()
    wrong = {"email": email, "password": "not the password at all"}
    answers = await burst(server_url, 12, "/auth/login", json=wrong)
    assert Counter((a.status_code, a.json()["error"]["code"]) for a in answers) == {
        (401, "INVALID_CREDENTIALS"): 12
    }
    if known:  # twelve counted failures lock the account: even the right password waits
        with httpx.Client(base_url=server_url) as http:
            right = http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert right.status_code == 401, right.text
