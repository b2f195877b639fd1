"""The cookie transport: HttpOnly cookies instead of tokens in JSON; refresh, logout by cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest

from tests.support.auth_server import PASSWORD, new_email
from tests.support.emulator_view import token_works

Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def cookie_client(make_server: Server) -> Iterator[httpx.Client]:
    with make_server(session_transport="cookie") as url, httpx.Client(base_url=url) as client:
        yield client


def csrf(client: httpx.Client) -> dict[str, str]:
    """The double-submit proof a page of ours sends with every state-changing request."""
    return {"X-CSRF-Token": client.cookies["cca_csrf"]}


def set_cookies(answer: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name."""
    return {
        header.split("=", 1)[0]: header.lower() for header in answer.headers.get_list("set-cookie")
    }


def test_login_sets_http_only_cookies_and_keeps_tokens_out_of_the_body(
    cookie_client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    registered = cookie_client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"}
    )
    assert registered.status_code == 201
    body = registered.json()
    assert "accessToken" not in body
    assert "refreshToken" not in body
    assert {"user", "authToken", "cometchat", "expiresIn"} <= set(body)
    assert token_works(emulator_url, body["authToken"])
    cookies = set_cookies(registered)
    # Local mode: no Secure, so no __Host- prefix (browsers refuse that over plain http).
    assert set(cookies) == {"cca_access", "cca_refresh", "cca_csrf"}
    for name, header in cookies.items():
        # Only the CSRF token is for the page's script (to echo in X-CSRF-Token).
        assert ("httponly" in header) == (name != "cca_csrf")
        assert "samesite=strict" in header
        assert "path=/" in header
        assert "secure" not in header
    assert registered.headers["cache-control"] == "no-store"

    me = cookie_client.get("/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == email


def test_refresh_by_cookie_rotates_it(cookie_client: httpx.Client) -> None:
    cookie_client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    )
    old = cookie_client.cookies["cca_refresh"]
    refreshed = cookie_client.post("/auth/refresh", headers=csrf(cookie_client))
    assert refreshed.status_code == 200, refreshed.text
    assert "refreshToken" not in refreshed.json()
    assert cookie_client.cookies["cca_refresh"] != old
    # The body field is not a way around the cookie in this transport.
    by_body = httpx.post(f"{cookie_client.base_url}/auth/refresh", json={"refreshToken": "x"})
    assert by_body.status_code == 401


def test_a_planted_csrf_cookie_with_a_matching_header_is_refused(
    cookie_client: httpx.Client,
) -> None:
    # A sibling subdomain or a local page can plant a cookie; the token must be the session's own.
    cookie_client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    )
    with httpx.Client(base_url=cookie_client.base_url) as attacker:
        attacker.post(
            "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Eve"}
        )
        attackers_token = attacker.cookies["cca_csrf"]
    victim = {name: cookie_client.cookies[name] for name in ("cca_access", "cca_refresh")}
    for planted in ("planted-token", attackers_token):
        cookies = "; ".join(f"{k}={v}" for k, v in {**victim, "cca_csrf": planted}.items())
        answer = httpx.post(
            f"{cookie_client.base_url}/auth/logout",
            headers={"Cookie": cookies, "X-CSRF-Token": planted},
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "CSRF_FAILED"
    # The session's own token still works, and survives a refresh (it is issued anew).
    assert cookie_client.post("/auth/refresh", headers=csrf(cookie_client)).status_code == 200
    assert cookie_client.post("/auth/logout", headers=csrf(cookie_client)).status_code == 204


def test_logout_clears_the_cookies(cookie_client: httpx.Client, emulator_url: str) -> None:
    body = cookie_client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    ).json()
    access = cookie_client.cookies["cca_access"]
    logout = cookie_client.post("/auth/logout", headers=csrf(cookie_client))
    assert logout.status_code == 204
    assert logout.headers["clear-site-data"] == '"cookies", "storage"'
    cleared = set_cookies(logout)
    assert set(cleared) == {"cca_access", "cca_refresh", "cca_csrf"}
    assert all("max-age=0" in header for header in cleared.values())
    assert not token_works(emulator_url, body["authToken"])
    # Even a client that kept the old cookie is signed out.
    kept = cookie_client.get("/auth/me", headers={"Cookie": f"cca_access={access}"})
    assert kept.status_code == 401


def test_bearer_header_is_not_accepted_by_the_cookie_transport(
    cookie_client: httpx.Client,
) -> None:
    cookie_client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    )
    access = cookie_client.cookies["cca_access"]
    cookie_client.cookies.clear()
    answer = cookie_client.get("/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert answer.status_code == 401
