"""CometChat down or slow: people still register, sign in, rename, sign out and leave; CometChat
catches up once it is back, and ``POST /cometchat/token`` answers 503 with Retry-After meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import emulator_user, set_faults
from tests.support.servers import free_port
from tests.support.waiting import eventually

Server = Callable[..., AbstractContextManager[str]]


def unavailable(body: dict[str, Any]) -> None:
    assert body["authToken"] is None
    assert body["cometchat"]["status"] == "unavailable"
    assert body["retryAfter"] >= 1


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}/v3"


def test_register_while_cometchat_is_down_then_the_worker_creates_the_user(
    make_server: Server, client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    with make_server(cometchat_api_base=nowhere()) as url, httpx.Client(base_url=url) as down:
        answer = down.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann Outage"}
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        unavailable(body)
        assert down.get("/auth/me", headers=bearer(body)).status_code == 200
        token = down.post("/cometchat/token", headers=bearer(body))
        assert token.status_code == 503
        assert token.json()["error"]["code"] == "COMETCHAT_UNAVAILABLE"
        assert int(token.headers["Retry-After"]) >= 1
    # The healthy server (same database) runs the queued job; then the session gets its token.
    user = eventually(lambda: emulator_user(emulator_url, body["user"]["id"]), within=30)
    assert user is not None
    assert user["name"] == "Ann Outage"
    minted = client.post("/cometchat/token", headers=bearer(body))
    assert minted.status_code == 200, minted.text
    assert minted.json()["authToken"]
    again = {"email": email, "password": PASSWORD, "name": "X"}
    assert client.post("/auth/register", json=again).status_code == 409


def test_login_during_an_outage_signs_in_and_the_token_comes_once_cometchat_is_back(
    make_server: Server, emulator_url: str
) -> None:
    with make_server(cometchat_breaker_reset=0.2) as url, httpx.Client(base_url=url) as http:
        email = new_email()
        register(http, email=email)
        set_faults(emulator_url, errorRate=1.0)
        try:
            answer = http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            unavailable(body)
            assert "test-rest-key" not in answer.text
            for _ in range(3):
                token = http.post("/cometchat/token", headers=bearer(body))
                assert token.status_code == 503
                assert int(token.headers["Retry-After"]) >= 1
        finally:
            set_faults(emulator_url, errorRate=0.0)

        def minted() -> str | None:
            token = http.post("/cometchat/token", headers=bearer(body))
            assert token.status_code in (200, 503), token.text
            return token.json()["authToken"] if token.status_code == 200 else None

        auth_token = eventually(minted, within=30)
        user = emulator_user(emulator_url, body["user"]["id"])
        assert user is not None
        assert auth_token in {t["authToken"] for t in user["authTokens"]}


def test_no_request_waits_past_the_cometchat_deadline(
    make_server: Server, emulator_url: str
) -> None:
    # A client timeout that a request waiting on CometChat (5 s a call) would exceed.
    with (
        make_server(cometchat_deadline=1.0, cometchat_timeout=0.5) as url,
        httpx.Client(base_url=url, timeout=4.5) as http,
    ):
        email = new_email()
        register(http, email=email)
        set_faults(emulator_url, latency=5)
        try:
            login = http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200
            unavailable(login.json())
            late = http.post(
                "/auth/register",
                json={"email": new_email(), "password": PASSWORD, "name": "Late"},
            )
            assert late.status_code == 201
            unavailable(late.json())
            token = http.post("/cometchat/token", headers=bearer(login.json()))
            assert token.status_code == 503
        finally:
            set_faults(emulator_url, latency=0)


def test_logout_rename_and_delete_during_an_outage_reach_cometchat_later(
    make_server: Server, client: httpx.Client, emulator_url: str
) -> None:
    leaving, staying = register(client, name="Leaving"), register(client, name="Staying")
    token = staying["authToken"]
    with make_server(cometchat_api_base=nowhere()) as url, httpx.Client(base_url=url) as down:
        renamed = down.patch("/auth/me", headers=bearer(staying), json={"name": "Renamed"})
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "Renamed"
        assert down.post("/auth/logout", headers=bearer(staying)).status_code == 204
        gone = down.request(
            "DELETE", "/auth/me", headers=bearer(leaving), json={"password": PASSWORD}
        )
        assert gone.status_code == 204
    # Signed out at once, here; CometChat follows as soon as a worker reaches it.
    assert client.get("/auth/me", headers=bearer(staying)).status_code == 401
    assert client.get("/auth/me", headers=bearer(leaving)).status_code == 401

    def caught_up() -> bool:
        user = emulator_user(emulator_url, staying["user"]["id"])
        return (
            user is not None
            and user["name"] == "Renamed"
            and token not in {t["authToken"] for t in user["authTokens"]}
            and emulator_user(emulator_url, leaving["user"]["id"]) is None
        )

    eventually(caught_up, within=30)
