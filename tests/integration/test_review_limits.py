"""Limits a security review found missing: re-typed passwords and rotating refresh tokens."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from tests.support.auth_server import PASSWORD, bearer, register
from tests.support.unlimited import UNLIMITED

Server = Callable[..., AbstractContextManager[str]]
NEW_PASSWORD = "a brand new passphrase"


def change(http: httpx.Client, body: dict[str, str], current: str) -> httpx.Response:
    change = {"currentPassword": current, "newPassword": NEW_PASSWORD}
    return http.post("/auth/password", headers=bearer(body), json=change)


def delete(http: httpx.Client, body: dict[str, str], password: str) -> httpx.Response:
    headers = bearer(body)
    return http.request("DELETE", "/auth/me", headers=headers, json={"password": password})


def test_guessing_the_current_password_with_an_access_token_locks_the_account(
    make_server: Server,
) -> None:
    with (
        make_server(lockout_threshold=3, **UNLIMITED) as url,
        httpx.Client(base_url=url) as http,
    ):
        body = register(http)
        for guess in ("guess number one", "guess number two", "guess number three"):
            assert change(http, body, guess).status_code == 401
        # Locked: the right password is refused too, for both checks and for signing in.
        assert change(http, body, PASSWORD).json()["error"]["code"] == "INVALID_CREDENTIALS"
        assert delete(http, body, PASSWORD).status_code == 401
        email = body["user"]["email"]
        assert (
            http.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
        )
        assert http.get("/auth/me", headers=bearer(body)).status_code == 200  # still there


def test_password_checks_share_the_sign_in_rate_limit(make_server: Server) -> None:
    with (
        make_server(rate_limit_login_account="2/minute") as url,
        httpx.Client(base_url=url) as http,
    ):
        body = register(http)
        assert delete(http, body, "guess number one").status_code == 401
        assert change(http, body, "guess number two").status_code == 401
        limited = delete(http, body, "guess number three")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"


def test_the_refresh_limit_follows_the_session_across_rotations(make_server: Server) -> None:
    with (
        make_server(rate_limit_refresh_account="2/minute") as url,
        httpx.Client(base_url=url) as http,
    ):
        token = register(http)["refreshToken"]
        for _ in range(2):
            answer = http.post("/auth/refresh", json={"refreshToken": token})
            assert answer.status_code == 200, answer.text
            token = answer.json()["refreshToken"]
        limited = http.post("/auth/refresh", json={"refreshToken": token})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
