"""Local mode's same-origin path to the emulator: what crosses it, what it answers when stuck."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from cometchat_auth.settings import Settings
from tests.support.auth_server import register, serve_auth
from tests.support.servers import free_port

PREFIX = "/cometchat-emulator"


@pytest.fixture
def local(make_settings: Callable[..., Settings], emulator_url: str) -> Iterator[str]:
    with serve_auth(make_settings(local_emulator_url=emulator_url)) as url:
        yield url


def test_the_sdk_calls_reach_the_emulator_with_a_session_cookie_and_no_csrf_token(
    local: str, emulator_url: str
) -> None:
    with httpx.Client(base_url=local) as client:
        token = register(client)["authToken"]
        # The SDK's own headers only; cookies of ours ride along (same origin) and are not read.
        headers = {"authToken": token, "appId": "testapp", "Origin": "http://evil.example"}
        me = client.put(f"{PREFIX}/v3.0/me", headers=headers, json={"platform": "WEB"})
        assert me.status_code == 200, me.text
        settings = me.json()["data"]["settings"]
        assert settings["CLIENT_API_HOST"] == f"{local.removeprefix('http://')}{PREFIX}"
        stale = client.get(f"{PREFIX}/v3.0/me", headers={"authToken": f"{token}0"})
        assert (stale.status_code, stale.json()["error"]["code"]) == (
            401,
            "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
        )


def test_no_rest_api_key_and_no_admin_route_cross(local: str) -> None:
    # The REST API key is never forwarded: this path serves the client API only.
    with_key = httpx.get(
        f"{local}{PREFIX}/v3/users", headers={"apikey": "test-rest-key-0123456789"}
    )
    assert with_key.json()["error"]["code"] == "AUTH_ERR_EMPTY_APIKEY"
    admin = httpx.get(f"{local}{PREFIX}/_emulator/faults")
    assert (admin.status_code, admin.json()["error"]["code"]) == (404, "NOT_FOUND")


def test_a_body_over_the_limit_is_413(local: str) -> None:
    answer = httpx.put(f"{local}{PREFIX}/v3.0/me", content=b"x" * (64 * 1024 + 1))
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_an_emulator_that_does_not_answer_is_503(make_settings: Callable[..., Settings]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with serve_auth(make_settings(local_emulator_url=nowhere)) as url:
        answer = httpx.get(f"{url}{PREFIX}/v3.0/settings")
    assert (answer.status_code, answer.json()["error"]["code"]) == (503, "COMETCHAT_UNAVAILABLE")


def test_outside_local_mode_nothing_is_forwarded(
    make_settings: Callable[..., Settings], emulator_url: str
) -> None:
    settings = make_settings(
        app_env="production",
        public_url="https://chat.example",
        cors_origins=["https://chat.example"],
        local_emulator_url=emulator_url,
    )
    with serve_auth(settings) as url:
        answer = httpx.get(f"{url}{PREFIX}/v3.0/settings")
        assert answer.status_code == 404
        config = httpx.get(f"{url}/config.json").json()
    assert config["cometchat"]["clientPath"] is None
