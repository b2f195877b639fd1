"""Your devices: the live sessions listed, and one signed out with its CometChat token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.auth_server import PASSWORD, bearer, register
from tests.support.emulator_view import token_works

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def login(client: httpx.Client, email: str, user_agent: str) -> dict[str, Any]:
    answer = client.post(
        "/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": user_agent},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def sessions(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.get("/auth/sessions", headers=bearer(body))
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


def test_devices_list_and_signing_one_out_deletes_its_cometchat_token(
    client: httpx.Client, emulator_url: str
) -> None:
    email = register(client)["user"]["email"]
    laptop = login(client, email, FIREFOX)
    phone = login(client, email, PHONE)

    listed = {row["device"]: row for row in sessions(client, laptop)}
    assert set(listed) >= {"Firefox on Linux", "Safari on iOS"}
    assert listed["Firefox on Linux"]["current"] is True
    assert listed["Safari on iOS"]["current"] is False
    assert listed["Safari on iOS"]["ip"] == "127.0.0.1"
    assert listed["Safari on iOS"]["userAgent"] == PHONE
    assert {"id", "createdAt", "lastUsedAt"} <= set(listed["Safari on iOS"])
    assert sum(row["current"] for row in listed.values()) == 1

    phone_id = listed["Safari on iOS"]["id"]
    assert token_works(emulator_url, phone["authToken"])
    ended = client.delete(f"/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert ended.status_code == 204, ended.text

    assert not token_works(emulator_url, phone["authToken"])
    assert client.get("/auth/me", headers=bearer(phone)).status_code == 401
    refreshed = client.post("/auth/refresh", json={"refreshToken": phone["refreshToken"]})
    assert refreshed.status_code == 401
    assert phone_id not in {row["id"] for row in sessions(client, laptop)}
    # The laptop keeps its session and its token.
    assert token_works(emulator_url, laptop["authToken"])
    again = client.delete(f"/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "SESSION_NOT_FOUND"


def test_another_accounts_session_cannot_be_listed_or_ended(
    client: httpx.Client, emulator_url: str
) -> None:
    ann, bob = register(client), register(client, name="Bob")
    bobs = sessions(client, bob)
    assert [row["current"] for row in bobs] == [True]
    assert all(row["id"] not in {b["id"] for b in bobs} for row in sessions(client, ann))

    answer = client.delete(f"/auth/sessions/{bobs[0]['id']}", headers=bearer(ann))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "SESSION_NOT_FOUND"
    assert token_works(emulator_url, bob["authToken"])
    assert client.get("/auth/sessions").status_code == 401


def test_signing_out_the_current_device(client: httpx.Client, emulator_url: str) -> None:
    body = register(client)
    (current,) = sessions(client, body)
    assert client.delete(f"/auth/sessions/{current['id']}", headers=bearer(body)).status_code == 204
    assert client.get("/auth/me", headers=bearer(body)).status_code == 401
    assert not token_works(emulator_url, body["authToken"])
