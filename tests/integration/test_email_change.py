"""Changing the email over real SMTP (aiosmtpd): the link to the new address applies it, the old
address is told, earlier links die, and the answer does not say whether the address is taken."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.smtp import Inbox, link_in, smtp_server, text_of

Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def mailed(make_server: Server) -> Iterator[tuple[httpx.Client, Inbox]]:
    with (
        smtp_server() as (inbox, port),
        make_server(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            app_name="Chat Example",
            rate_limit_login_account="100/minute",
        ) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        yield http, inbox


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def change(
    http: httpx.Client, account: dict[str, Any], new: str, password: str = PASSWORD
) -> httpx.Response:
    return http.post(
        "/auth/email", json={"newEmail": new, "password": password}, headers=bearer(account)
    )


def test_change_applies_when_the_new_address_confirms(mailed: tuple[httpx.Client, Inbox]) -> None:
    http, inbox = mailed
    account = register(http)
    old = account["user"]["email"]
    # A reset link mailed before the change must die with it.
    assert http.post("/auth/password/forgot", json={"email": old}).status_code == 202
    reset_link = link_in(inbox.wait_for(1)[0], "/reset")

    new = new_email()
    answer = change(http, account, new)
    assert answer.status_code == 202, answer.text
    mails = {message["To"]: message for message in inbox.wait_for(3)[1:]}
    assert set(mails) == {old, new}
    assert new in text_of(mails[old])  # the old address is told where the account may go
    assert "/email/confirm" not in text_of(mails[old])
    link = link_in(mails[new], "/email/confirm")
    # Nothing changed yet.
    assert http.get("/auth/me", headers=bearer(account)).json()["email"] == old

    page = http.get(urlsplit(link).path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    confirmed = http.post("/auth/email/confirm", json={"token": token_of(link)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == new
    assert confirmed.json()["emailVerified"] is True
    assert http.get("/auth/me", headers=bearer(account)).json()["email"] == new

    again = http.post("/auth/email/confirm", json={"token": token_of(link)})
    assert again.json()["error"]["code"] == "EMAIL_TOKEN_USED"
    reset = http.post(
        "/auth/password/reset", json={"token": token_of(reset_link), "password": "a new one!!"}
    )
    assert reset.json()["error"]["code"] == "EMAIL_TOKEN_OUTDATED"
    assert http.post("/auth/login", json={"email": old, "password": PASSWORD}).status_code == 401
    assert http.post("/auth/login", json={"email": new, "password": PASSWORD}).status_code == 200


def test_a_taken_address_gets_the_same_answer_and_no_link(
    mailed: tuple[httpx.Client, Inbox],
) -> None:
    http, inbox = mailed
    account, other = register(http), register(http)
    free = change(http, account, new_email())
    taken = change(http, account, other["user"]["email"])
    assert free.status_code == taken.status_code == 202
    assert free.content == taken.content
    # The free address got a link and the old one two notices; the taken address got nothing.
    arrived = inbox.wait_for(3)
    assert other["user"]["email"] not in [message["To"] for message in arrived]
    assert [m["To"] for m in arrived].count(account["user"]["email"]) == 2


def test_a_newer_request_kills_the_earlier_link(mailed: tuple[httpx.Client, Inbox]) -> None:
    http, inbox = mailed
    account = register(http)
    first, second = new_email(), new_email()
    change(http, account, first)
    change(http, account, second)
    by_address = {message["To"]: message for message in inbox.wait_for(4)}
    stale = http.post(
        "/auth/email/confirm",
        json={"token": token_of(link_in(by_address[first], "/email/confirm"))},
    )
    assert stale.json()["error"]["code"] == "EMAIL_TOKEN_INVALID"
    fresh = http.post(
        "/auth/email/confirm",
        json={"token": token_of(link_in(by_address[second], "/email/confirm"))},
    )
    assert fresh.json()["email"] == second


def test_the_password_is_required(mailed: tuple[httpx.Client, Inbox]) -> None:
    http, _ = mailed
    account = register(http)
    wrong = change(http, account, new_email(), password="not the password")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert (
        http.post("/auth/email", json={"newEmail": new_email(), "password": PASSWORD}).status_code
        == 401
    )
