"""Passkeys over HTTP with a software authenticator: the ceremonies, what is refused (used or
expired challenges, a counter going back, no user verification, another site), and the list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cometchat_auth.accounts.passkeys import WebAuthnChallengeRow
from cometchat_auth.store import open_database
from cometchat_auth.store.models import utcnow
from tests.support.auth_server import PASSWORD, bearer, register
from tests.support.emulator_view import token_works
from tests.support.soft_authenticator import SoftAuthenticator

Server = Callable[..., AbstractContextManager[str]]
SITE = "https://chat.example"


@pytest.fixture
def http(make_server: Server) -> Iterator[httpx.Client]:
    with (
        make_server(public_url=SITE, rate_limit_login_ip="1000/minute") as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def enrol(
    http: httpx.Client, account: dict[str, Any], key: SoftAuthenticator, name: str = "Phone"
) -> httpx.Response:
    options = http.post("/auth/passkeys/options", headers=bearer(account)).json()
    credential = key.create(options)
    return http.post(
        "/auth/passkeys", json={"credential": credential, "name": name}, headers=bearer(account)
    )


def passkey_login(http: httpx.Client, key: SoftAuthenticator) -> httpx.Response:
    options = http.post("/auth/passkey/options").json()
    return http.post("/auth/passkey/login", json={"credential": key.get(options)})


def test_register_then_sign_in_like_a_password_login(http: httpx.Client, emulator_url: str) -> None:
    account = register(http)
    options = http.post("/auth/passkeys/options", headers=bearer(account)).json()
    assert (
        options["rp"] == {"id": "chat.example", "name": "cometchat-auth"}
        or options["rp"]["id"] == "chat.example"
    )
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    key = SoftAuthenticator(SITE, "chat.example")
    added = http.post(
        "/auth/passkeys", json={"credential": key.create(options)}, headers=bearer(account)
    )
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Passkey"

    by_passkey = passkey_login(http, key)
    assert by_passkey.status_code == 200, by_passkey.text
    by_password = http.post(
        "/auth/login", json={"email": account["user"]["email"], "password": PASSWORD}
    )
    assert by_passkey.json().keys() == by_password.json().keys()
    assert by_passkey.json()["user"] == by_password.json()["user"]
    assert token_works(emulator_url, by_passkey.json()["authToken"])
    assert http.get("/auth/me", headers=bearer(by_passkey.json())).status_code == 200
    listed = http.get("/auth/passkeys", headers=bearer(account)).json()
    assert [row["lastUsedAt"] is not None for row in listed] == [True]


def test_challenges_are_single_use_and_expire(http: httpx.Client, database_url: str) -> None:
    account = register(http)
    key = SoftAuthenticator(SITE, "chat.example")
    options = http.post("/auth/passkeys/options", headers=bearer(account)).json()
    credential = key.create(options)
    body = {"credential": credential}
    assert http.post("/auth/passkeys", json=body, headers=bearer(account)).status_code == 201
    again = http.post("/auth/passkeys", json=body, headers=bearer(account))
    assert error(again) == (400, "PASSKEY_CHALLENGE_INVALID")

    options = http.post("/auth/passkey/options").json()
    answer = {"credential": key.get(options)}
    assert http.post("/auth/passkey/login", json=answer).status_code == 200
    assert error(http.post("/auth/passkey/login", json=answer)) == (
        400,
        "PASSKEY_CHALLENGE_INVALID",
    )

    options = http.post("/auth/passkey/options").json()

    async def expire() -> None:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            await db.execute(
                update(WebAuthnChallengeRow)
                .where(WebAuthnChallengeRow.challenge == options["challenge"])
                .values(expires_at=utcnow())
            )
            await db.commit()

    asyncio.run(expire())
    late = http.post("/auth/passkey/login", json={"credential": key.get(options)})
    assert error(late) == (400, "PASSKEY_CHALLENGE_INVALID")
    # A sign-in challenge cannot register, nor another user's registration challenge.
    other = register(http)
    theirs = http.post("/auth/passkeys/options", headers=bearer(other)).json()
    stolen = SoftAuthenticator(SITE, "chat.example").create(theirs)
    answer2 = http.post("/auth/passkeys", json={"credential": stolen}, headers=bearer(account))
    assert error(answer2) == (400, "PASSKEY_CHALLENGE_INVALID")


def test_what_is_refused(http: httpx.Client) -> None:
    account = register(http)
    # Another site's origin, or no user verification, at registration.
    assert error(
        enrol(http, account, SoftAuthenticator("https://evil.example", "chat.example"))
    ) == (
        400,
        "PASSKEY_INVALID",
    )
    assert error(enrol(http, account, SoftAuthenticator(SITE, "evil.example"))) == (
        400,
        "PASSKEY_INVALID",
    )
    lazy = SoftAuthenticator(SITE, "chat.example", user_verified=False)
    assert error(enrol(http, account, lazy)) == (400, "PASSKEY_INVALID")

    key = SoftAuthenticator(SITE, "chat.example")
    assert enrol(http, account, key).status_code == 201
    assert passkey_login(http, key).status_code == 200
    assert passkey_login(http, key).status_code == 200
    key.counter -= 3  # a cloned authenticator: its counter is behind
    assert error(passkey_login(http, key)) == (400, "PASSKEY_INVALID")
    key.counter += 10
    key.user_verified = False
    assert error(passkey_login(http, key)) == (400, "PASSKEY_INVALID")
    unknown = SoftAuthenticator(SITE, "chat.example")
    assert error(passkey_login(http, unknown)) == (400, "PASSKEY_INVALID")


def test_list_rename_remove(http: httpx.Client) -> None:
    account, other = register(http), register(http)
    key = SoftAuthenticator(SITE, "chat.example")
    added = enrol(http, account, key, name="Work laptop").json()
    listed = http.get("/auth/passkeys", headers=bearer(account)).json()
    assert [(row["id"], row["name"]) for row in listed] == [(added["id"], "Work laptop")]
    assert http.get("/auth/passkeys", headers=bearer(other)).json() == []

    path = f"/auth/passkeys/{added['id']}"
    theirs = http.patch(path, json={"name": "Mine now"}, headers=bearer(other))
    assert error(theirs) == (404, "PASSKEY_NOT_FOUND")
    assert error(http.delete(path, headers=bearer(other))) == (404, "PASSKEY_NOT_FOUND")
    renamed = http.patch(path, json={"name": "Home laptop"}, headers=bearer(account))
    assert renamed.json()["name"] == "Home laptop"
    assert http.delete(path, headers=bearer(account)).status_code == 204
    assert http.get("/auth/passkeys", headers=bearer(account)).json() == []
    assert error(passkey_login(http, key)) == (400, "PASSKEY_INVALID")  # removed: no sign-in


def mangled(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``field`` (``response.x`` for the response's own) to ``value``; None drops it."""

    def mangle(credential: dict[str, Any]) -> None:
        where, _, name = field.rpartition(".")
        target = credential["response"] if where else credential
        if value is None:
            target.pop(name)
        else:
            target[name] = value

    return mangle


BOTH = {
    "not-json": mangled("response.clientDataJSON", "bm90IGpzb24"),
    "not-an-object": mangled("response", "nothing"),
    "wrong-type": mangled("type", "password"),
    "int-id": mangled("id", 12),
}
REGISTRATION = {
    "short-cbor": mangled("response.attestationObject", "AAAA"),
    "list": mangled("response.attestationObject", ["not", "text"]),
    "missing": mangled("response.attestationObject", None),
}
SIGN_IN = {
    "short-data": mangled("response.authenticatorData", "AAAA"),
    "bad-signature": mangled("response.signature", "AAAA"),
    "no-signature": mangled("response.signature", None),
}


@pytest.mark.parametrize(
    "mangle", list({**BOTH, **REGISTRATION}.values()), ids=[*BOTH, *REGISTRATION]
)
def test_a_mangled_registration_is_a_clear_400(
    http: httpx.Client, mangle: Callable[[dict[str, Any]], None]
) -> None:
    account = register(http)
    options = http.post("/auth/passkeys/options", headers=bearer(account)).json()
    credential = SoftAuthenticator(SITE, "chat.example").create(options)
    mangle(credential)
    answer = http.post("/auth/passkeys", json={"credential": credential}, headers=bearer(account))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] in {"PASSKEY_INVALID", "PASSKEY_CHALLENGE_INVALID"}


@pytest.mark.parametrize("mangle", list({**BOTH, **SIGN_IN}.values()), ids=[*BOTH, *SIGN_IN])
def test_a_mangled_sign_in_is_a_clear_400(
    http: httpx.Client, mangle: Callable[[dict[str, Any]], None]
) -> None:
    key = SoftAuthenticator(SITE, "chat.example")
    assert enrol(http, register(http), key).status_code == 201
    options = http.post("/auth/passkey/options").json()
    credential = key.get(options)
    mangle(credential)
    answer = http.post("/auth/passkey/login", json={"credential": credential})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] in {"PASSKEY_INVALID", "PASSKEY_CHALLENGE_INVALID"}
