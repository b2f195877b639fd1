"""Register, login, logout: the tutorial's flow for real, checked against the emulator."""

from __future__ import annotations

import httpx

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import REST_KEY, emulator_user, token_works


def test_register_creates_account_and_cometchat_user_with_a_working_token(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    body = register(client, email=email, name="Ann Example")

    user = body["user"]
    assert set(user) == {"id", "email", "name", "avatar", "emailVerified", "createdAt"}
    assert (user["email"], user["name"], user["emailVerified"]) == (email, "Ann Example", False)
    assert len(user["id"]) == 32
    assert body["cometchat"] == {
        "appId": "testapp",
        "region": "us",
        "uid": user["id"],
        "status": "ready",
    }
    assert body["tokenType"] == "bearer"
    assert body["expiresIn"] == 900
    assert body["accessToken"]
    assert body["refreshToken"]
    cometchat_user = emulator_user(emulator_url, user["id"])
    assert cometchat_user is not None
    assert cometchat_user["name"] == "Ann Example"
    assert token_works(emulator_url, body["authToken"])


def test_login_mints_a_new_token_per_session_and_logout_deletes_it(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    registered = register(client, email=email)

    login = client.post("/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["user"] == registered["user"]
    assert body["authToken"] != registered["authToken"]
    assert token_works(emulator_url, body["authToken"])

    logout = client.post("/auth/logout", headers=bearer(body))
    assert logout.status_code == 204
    assert not token_works(emulator_url, body["authToken"])
    # The other session (from registration) lives on, with its token.
    assert token_works(emulator_url, registered["authToken"])
    assert client.get("/auth/me", headers=bearer(registered)).status_code == 200

    after = client.get("/auth/me", headers=bearer(body))
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "UNAUTHENTICATED"
    assert after.headers["www-authenticate"] == "Bearer"


def test_two_sessions_never_share_a_token_even_where_force_false_would(
    client: httpx.Client, emulator_url: str
) -> None:
    # The emulator hands back the newest token to a create without `force: true` (the cautious
    # reading of CometChat's docs): distinct tokens here prove the server asks with force.
    email = new_email()
    registered = register(client, email=email)
    uid = registered["user"]["id"]
    logins = [
        client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
        for _ in range(2)
    ]
    tokens = [registered["authToken"], *(login["authToken"] for login in logins)]
    assert len(set(tokens)) == 3
    unforced = httpx.post(
        f"{emulator_url}/v3/users/{uid}/auth_tokens", json={"force": False}, headers=REST_KEY
    )
    assert unforced.json()["data"]["authToken"] == tokens[-1]  # what a session without force gets

    assert client.post("/auth/logout", headers=bearer(logins[0])).status_code == 204
    assert not token_works(emulator_url, logins[0]["authToken"])
    assert token_works(emulator_url, logins[1]["authToken"])
    assert token_works(emulator_url, registered["authToken"])


def test_wrong_password_and_unknown_email_get_one_answer(client: httpx.Client) -> None:
    email = new_email()
    register(client, email=email)

    wrong = client.post("/auth/login", json={"email": email, "password": "not the password"})
    unknown = client.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
    not_an_email = client.post("/auth/login", json={"email": "nobody", "password": PASSWORD})

    for answer in (wrong, unknown, not_an_email):
        assert answer.status_code == 401
        assert answer.json() == {
            "error": {"code": "INVALID_CREDENTIALS", "message": "The email or password is wrong."}
        }


def test_register_twice_with_the_same_email_in_another_case_is_refused(
    client: httpx.Client, emulator_url: str
) -> None:
    email = new_email()
    register(client, email=email)
    again = client.post(
        "/auth/register",
        json={"email": email.replace("user", "USER"), "password": PASSWORD, "name": "Bob"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "EMAIL_TAKEN"
