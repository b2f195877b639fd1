"""The signed-in account: read, change profile, change password, delete; CometChat follows."""

from __future__ import annotations

import httpx

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import REST_KEY, emulator_user, token_works


def test_me_answers_the_signed_in_user(client: httpx.Client) -> None:
    body = register(client)
    me = client.get("/auth/me", headers=bearer(body))
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_patch_me_changes_name_and_avatar_here_and_in_cometchat(
    client: httpx.Client, emulator_url: str
) -> None:
    body = register(client, name="Ann")
    uid = body["user"]["id"]
    avatar = "https://images.example/ann.png"
    changed = client.patch(
        "/auth/me", headers=bearer(body), json={"name": "Ann B.", "avatar": avatar}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["avatar"]) == ("Ann B.", avatar)
    assert client.get("/auth/me", headers=bearer(body)).json()["avatar"] == avatar
    cometchat = httpx.get(f"{emulator_url}/v3/users/{uid}", headers=REST_KEY).json()["data"]
    assert (cometchat["name"], cometchat["avatar"]) == ("Ann B.", avatar)

    removed = client.patch("/auth/me", headers=bearer(body), json={"avatar": None})
    assert removed.json()["avatar"] is None
    assert removed.json()["name"] == "Ann B."
    cometchat = httpx.get(f"{emulator_url}/v3/users/{uid}", headers=REST_KEY).json()["data"]
    assert cometchat.get("avatar") is None


def test_patch_me_refuses_bad_values(client: httpx.Client) -> None:
    body = register(client)
    for change in (
        {"name": None},
        {"name": ""},
        {"name": "x" * 101},
        {"avatar": "javascript:alert(1)"},
        {"avatar": "https://a.example/" + "x" * 3000},
        {"email": "other@example.com"},
    ):
        answer = client.patch("/auth/me", headers=bearer(body), json=change)
        assert answer.status_code == 422, change
        assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_password_change_ends_other_sessions_and_their_cometchat_tokens(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    other = register(client, email=email)
    current = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()

    wrong = client.post(
        "/auth/password",
        headers=bearer(current),
        json={"currentPassword": "not the password", "newPassword": "a new long password"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert client.get("/auth/me", headers=bearer(other)).status_code == 200

    changed = client.post(
        "/auth/password",
        headers=bearer(current),
        json={"currentPassword": PASSWORD, "newPassword": "a new long password"},
    )
    assert changed.status_code == 204
    assert client.get("/auth/me", headers=bearer(other)).status_code == 401
    assert not token_works(emulator_url, other["authToken"])
    assert client.get("/auth/me", headers=bearer(current)).status_code == 200
    assert token_works(emulator_url, current["authToken"])

    old = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/auth/login", json={"email": email, "password": "a new long password"})
    assert new.status_code == 200


def test_password_change_enforces_the_policy(client: httpx.Client) -> None:
    body = register(client)
    for new in ("short", "x" * 129):
        answer = client.post(
            "/auth/password",
            headers=bearer(body),
            json={"currentPassword": PASSWORD, "newPassword": new},
        )
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_delete_me_needs_the_password_and_deletes_the_cometchat_user(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    body = register(client, email=email)
    uid = body["user"]["id"]

    wrong = client.request(
        "DELETE", "/auth/me", headers=bearer(body), json={"password": "not the password"}
    )
    assert wrong.status_code == 401
    assert emulator_user(emulator_url, uid) is not None

    deleted = client.request(
        "DELETE", "/auth/me", headers=bearer(body), json={"password": PASSWORD}
    )
    assert deleted.status_code == 204
    assert emulator_user(emulator_url, uid) is None
    assert not token_works(emulator_url, body["authToken"])
    assert client.get("/auth/me", headers=bearer(body)).status_code == 401
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    # The email is free again.
    register(client, email=email)


def test_login_creates_a_missing_cometchat_user(client: httpx.Client, emulator_url: str) -> None:
    email = new_email()
    body = register(client, email=email, name="Early Adopter")
    uid = body["user"]["id"]
    # As if the account predates the CometChat integration.
    gone = httpx.request(
        "DELETE", f"{emulator_url}/v3/users/{uid}", headers=REST_KEY, json={"permanent": True}
    )
    assert gone.status_code == 200
    assert emulator_user(emulator_url, uid) is None

    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    recreated = emulator_user(emulator_url, uid)
    assert recreated is not None
    assert recreated["name"] == "Early Adopter"
    assert token_works(emulator_url, login.json()["authToken"])
