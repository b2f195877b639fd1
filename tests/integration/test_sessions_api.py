"""Refresh (rotation and reuse), logout everywhere, expiry, and the session's CometChat token."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from tests.support.auth_server import PASSWORD, SECRET_KEY, bearer, new_email, register
from tests.support.emulator_view import token_works

Server = Callable[..., AbstractContextManager[str]]


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/auth/refresh", json={"refreshToken": token})


def test_refresh_rotates_and_keeps_the_sessions_cometchat_token(
    client: httpx.Client, emulator_url: str
) -> None:
    first = register(client)
    second = refresh(client, first["refreshToken"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refreshToken"] != first["refreshToken"]
    assert body["accessToken"] != first["accessToken"]
    assert body["authToken"] == first["authToken"]
    assert body["user"] == first["user"]
    assert client.get("/auth/me", headers=bearer(body)).status_code == 200
    third = refresh(client, body["refreshToken"])
    assert third.status_code == 200
    assert token_works(emulator_url, first["authToken"])


def test_reused_refresh_token_ends_the_session_and_its_cometchat_token(
    client: httpx.Client, emulator_url: str
) -> None:
    first = register(client)
    rotated = refresh(client, first["refreshToken"]).json()

    reused = refresh(client, first["refreshToken"])
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    # The whole session is over: the newest refresh token, the access token and the chat token.
    assert refresh(client, rotated["refreshToken"]).json()["error"]["code"] == (
        "REFRESH_TOKEN_INVALID"
    )
    assert client.get("/auth/me", headers=bearer(rotated)).status_code == 401
    assert not token_works(emulator_url, first["authToken"])


def test_the_replaced_token_within_the_grace_gets_the_same_successor(
    make_server: Server, emulator_url: str
) -> None:
    """A lost answer or a second tab: the token the last rotation replaced, presented again
    within REFRESH_REUSE_GRACE, gets the same new refresh token and a fresh access token."""
    with make_server(refresh_reuse_grace=3600) as url, httpx.Client(base_url=url) as client:
        first = register(client)
        rotated = refresh(client, first["refreshToken"]).json()
        again = refresh(client, first["refreshToken"])
        assert again.status_code == 200
        assert again.json()["refreshToken"] == rotated["refreshToken"]
        assert again.json()["accessToken"] != rotated["accessToken"]
        assert again.json()["authToken"] == first["authToken"]
        # The session goes on, from the one successor both tabs now hold.
        assert client.get("/auth/me", headers=bearer(again.json())).status_code == 200
        assert refresh(client, rotated["refreshToken"]).status_code == 200
        assert token_works(emulator_url, first["authToken"])


def test_an_older_spent_token_ends_the_session_even_within_the_grace(
    make_server: Server, emulator_url: str
) -> None:
    """Only the token the last rotation replaced may come back: an older one is a copy."""
    with make_server(refresh_reuse_grace=3600) as url, httpx.Client(base_url=url) as client:
        first = register(client)
        newest = first
        for _ in range(2):
            newest = refresh(client, newest["refreshToken"]).json()
        reused = refresh(client, first["refreshToken"])
        assert reused.status_code == 401
        assert reused.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
        assert client.get("/auth/me", headers=bearer(newest)).status_code == 401
        assert refresh(client, newest["refreshToken"]).status_code == 401
        assert not token_works(emulator_url, first["authToken"])


def test_unknown_or_missing_refresh_token(client: httpx.Client) -> None:
    for body in ({"refreshToken": "not-a-token"}, {}, None):
        answer = client.post("/auth/refresh", json=body)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "REFRESH_TOKEN_INVALID"


def test_refresh_after_logout_is_refused(client: httpx.Client) -> None:
    body = register(client)
    assert client.post("/auth/logout", headers=bearer(body)).status_code == 204
    assert refresh(client, body["refreshToken"]).json()["error"]["code"] == "REFRESH_TOKEN_INVALID"


def forged(user_id: str, session_id: str, *, secret: str = SECRET_KEY, **claims: object) -> str:
    now = datetime.now(UTC)
    payload = {"sub": user_id, "sid": session_id, "typ": "access", "iat": now}
    payload["exp"] = now + timedelta(minutes=5)
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm="HS256")


def test_expired_tampered_or_missing_access_tokens_are_refused(client: httpx.Client) -> None:
    body = register(client)
    claims = jwt.decode(body["accessToken"], SECRET_KEY, algorithms=["HS256"])
    past = datetime.now(UTC) - timedelta(seconds=31)  # past the 30 s allowed for clock skew
    for token in (
        forged(claims["sub"], claims["sid"], exp=past),
        forged(claims["sub"], claims["sid"], secret="another-secret-of-enough-length!!"),
        forged(claims["sub"], claims["sid"], typ="refresh"),
        forged("someone-else", claims["sid"]),
        body["accessToken"][:-3] + "abc",
        "garbage",
    ):
        answer = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, token
        assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert client.get("/auth/me").status_code == 401
    assert client.get("/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    # A valid forgery (right secret, live session) works: the check is the session, not luck.
    good = forged(claims["sub"], claims["sid"])
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_short_ttl_access_token_expires(make_server: Server) -> None:
    settings = {"access_token_ttl": 1, "access_token_leeway": 0}
    with make_server(**settings) as url, httpx.Client(base_url=url) as client:
        body = register(client)
        assert body["expiresIn"] == 1
        claims = jwt.decode(
            body["accessToken"], SECRET_KEY, algorithms=["HS256"], options={"verify_exp": False}
        )
        assert 1 <= claims["exp"] - claims["iat"] <= 2  # at least the TTL, in whole seconds
        time.sleep(2.1)  # past the expiry; no leeway
        assert client.get("/auth/me", headers=bearer(body)).status_code == 401
        # The session lives on: its refresh token still works.
        answer = client.post("/auth/refresh", json={"refreshToken": body["refreshToken"]})
        assert answer.status_code == 200


def test_logout_all_ends_every_session_and_flushes_cometchat_tokens(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    first = register(client, email=email)
    second = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
    other = register(client)

    assert client.post("/auth/logout-all", headers=bearer(second)).status_code == 204
    for body in (first, second):
        assert client.get("/auth/me", headers=bearer(body)).status_code == 401
        assert not token_works(emulator_url, body["authToken"])
        assert refresh(client, body["refreshToken"]).status_code == 401
    # Someone else's sessions are untouched.
    assert client.get("/auth/me", headers=bearer(other)).status_code == 200
    assert token_works(emulator_url, other["authToken"])


def test_cometchat_token_is_the_sessions_own_until_rotated(
    client: httpx.Client, emulator_url: str
) -> None:
    body = register(client)
    same = client.post("/cometchat/token", headers=bearer(body))
    assert same.status_code == 200
    assert same.json() == {
        "authToken": body["authToken"],
        "cometchat": {
            "appId": "testapp",
            "region": "us",
            "uid": body["user"]["id"],
            "status": "ready",
        },
    }
    assert (
        client.post("/cometchat/token", headers=bearer(body), json={}).json()["authToken"]
        == (body["authToken"])
    )

    rotated = client.post("/cometchat/token", headers=bearer(body), json={"rotate": True})
    assert rotated.status_code == 200
    new_token = rotated.json()["authToken"]
    assert new_token != body["authToken"]
    assert token_works(emulator_url, new_token)
    assert not token_works(emulator_url, body["authToken"])
    # Logout now deletes the new one.
    assert client.post("/auth/logout", headers=bearer(body)).status_code == 204
    assert not token_works(emulator_url, new_token)


def test_cometchat_token_needs_a_session(client: httpx.Client) -> None:
    answer = client.post("/cometchat/token")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def test_logout_with_an_expired_access_token_takes_the_refresh_token(
    client: httpx.Client, emulator_url: str
) -> None:
    body = register(client)
    claims = jwt.decode(body["accessToken"], SECRET_KEY, algorithms=["HS256"])
    expired = forged(claims["sub"], claims["sid"], exp=datetime.now(UTC) - timedelta(minutes=5))
    headers = {"Authorization": f"Bearer {expired}"}
    assert client.post("/auth/logout", headers=headers).status_code == 401
    wrong = client.post("/auth/logout", headers=headers, json={"refreshToken": "not-a-token"})
    assert wrong.status_code == 401
    answer = client.post(
        "/auth/logout", headers=headers, json={"refreshToken": body["refreshToken"]}
    )
    assert answer.status_code == 204
    # The session and its CometChat token are gone, not left to the idle timeout.
    assert refresh(client, body["refreshToken"]).status_code == 401
    assert not token_works(emulator_url, body["authToken"])
