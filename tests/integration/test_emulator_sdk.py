"""The client API the JS SDK calls when it logs in with a token, and CORS for the browser."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def token(emulator_rest: httpx.Client) -> str:
    body = {"uid": "sam", "name": "Sam", "withAuthToken": True}
    minted: str = emulator_rest.post("/users", json=body).json()["data"]["authToken"]
    return minted


SDK_BODY = {
    "platform": "WEB",
    "deviceId": "testapp_abc_1700000000000",
    "appInfo": {"version": "v4.2.0", "apiVersion": "v3.0", "userAgent": "pytest"},
}


def test_put_me_answers_the_user_session_and_settings_pointing_back(
    emulator_url: str, token: str
) -> None:
    answer = httpx.put(
        f"{emulator_url}/v3.0/me", json=SDK_BODY, headers={"authToken": token, "appId": "testapp"}
    )
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert (data["uid"], data["name"], data["authToken"]) == ("sam", "Sam", token)
    assert isinstance(data["jwt"], str)
    assert isinstance(data["wsChannel"], dict)
    settings = data["settings"]
    host = emulator_url.removeprefix("http://")
    assert settings["CLIENT_API_HOST"] == host
    assert settings["ADMIN_API_HOST"] == host
    assert settings["CHAT_API_VERSION"] == "v3.0"
    assert settings["ANALYTICS_PING_DISABLED"] is True
    assert settings["REGION"] == "us"
    # The SDK builds its next URL from the settings; it must reach this emulator again.
    again = f"http://{settings['CLIENT_API_HOST']}/{settings['CHAT_API_VERSION']}/me"
    me = httpx.get(again, headers={"authToken": token})
    assert me.json()["data"]["uid"] == "sam"


def test_bad_and_missing_tokens(emulator_url: str) -> None:
    bad = httpx.put(f"{emulator_url}/v3.0/me", json=SDK_BODY, headers={"authToken": "sam_nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    assert "sam_nope" not in bad.text
    missing = httpx.get(f"{emulator_url}/v3.0/me")
    assert missing.json()["error"]["code"] == "AUTH_ERR_EMPTY_AUTH_TOKEN"


def test_delete_me_ends_the_session_but_keeps_the_token(
    emulator_url: str, emulator_rest: httpx.Client, token: str
) -> None:
    headers = {"authToken": token}
    httpx.put(f"{emulator_url}/v3.0/me", json=SDK_BODY, headers=headers)
    answer = httpx.delete(f"{emulator_url}/v3.0/me", headers=headers)
    assert answer.status_code == 200
    assert "data" in answer.json()
    assert emulator_rest.get(f"/users/sam/auth_tokens/{token}").status_code == 200
    assert httpx.get(f"{emulator_url}/v3.0/me", headers=headers).status_code == 200


def test_revoked_token_no_longer_logs_in(
    emulator_url: str, emulator_rest: httpx.Client, token: str
) -> None:
    emulator_rest.delete("/users/sam/auth_tokens")
    answer = httpx.put(f"{emulator_url}/v3.0/me", json=SDK_BODY, headers={"authToken": token})
    assert answer.json()["error"]["code"] == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"


def test_settings_user_sessions_and_jwt(emulator_url: str, token: str) -> None:
    headers = {"authToken": token, "appId": "testapp"}
    settings = httpx.get(f"{emulator_url}/v3.0/settings", headers=headers).json()["data"]
    assert settings["CLIENT_API_HOST"] == emulator_url.removeprefix("http://")
    telemetry = {"sessionId": "s", "data": {}, "generatedAt": 1}
    sessions = httpx.post(f"{emulator_url}/v3.0/user_sessions", json=telemetry, headers=headers)
    assert sessions.status_code == 200
    jwt = httpx.post(f"{emulator_url}/v3.0/me/jwt", headers=headers)
    assert isinstance(jwt.json()["data"]["jwt"], str)


def test_cors_preflight_allows_the_sdk_headers(emulator_url: str) -> None:
    answer = httpx.options(
        f"{emulator_url}/v3.0/me",
        headers={
            "Origin": "https://localhost:8443",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "appid,apikey,authtoken,resource,sdk,content-type",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] in ("*", "https://localhost:8443")
    allowed = answer.headers["access-control-allow-headers"].lower()
    for header in ("appid", "apikey", "authtoken", "resource", "sdk", "onbehalfof"):
        assert header in allowed
    assert "PUT" in answer.headers["access-control-allow-methods"]


def test_cors_headers_on_answers_and_errors(emulator_url: str) -> None:
    answer = httpx.get(f"{emulator_url}/v3/users", headers={"Origin": "https://example.org"})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == "*"
