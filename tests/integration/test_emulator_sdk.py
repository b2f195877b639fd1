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


def test_settings_carry_the_app_version_the_sdk_checks(emulator_url: str, token: str) -> None:
    # SDK 4.2.0 logs a cached user in again at every init unless APP_VERSION is 3 or >= 4.
    settings = httpx.get(f"{emulator_url}/v3.0/settings").json()["data"]
    assert settings["APP_VERSION"] == 3


def test_settings_follow_the_same_origin_proxy(emulator_url: str, token: str) -> None:
    headers = {"X-Forwarded-Host": "127.0.0.1:8000", "X-Forwarded-Prefix": "/cometchat-emulator"}
    settings = httpx.get(f"{emulator_url}/v3.0/settings", headers=headers).json()["data"]
    assert settings["CLIENT_API_HOST"] == "127.0.0.1:8000/cometchat-emulator"
    assert settings["ADMIN_API_HOST"] == "127.0.0.1:8000/cometchat-emulator"
    assert settings["CHAT_HOST"] == "127.0.0.1"


def test_a_token_holder_lists_and_reads_users_as_the_sdk_does(
    emulator_url: str, emulator_rest: httpx.Client, token: str
) -> None:
    for uid, name in (("ann", "Ann"), ("bob", "Bob"), ("cat", "Cat")):
        emulator_rest.post("/users", json={"uid": uid, "name": name, "tags": ["t"]})
    emulator_rest.delete("/users/cat")
    headers = {"authToken": token, "appId": "testapp"}
    # UsersRequest.fetchNext: per_page and page, comma-separated lists.
    first = httpx.get(
        f"{emulator_url}/v3.0/users", params={"per_page": 2, "page": 1}, headers=headers
    ).json()
    assert [user["uid"] for user in first["data"]] == ["sam", "ann"]
    assert first["meta"]["pagination"] == {
        "total": 3,
        "count": 2,
        "per_page": 2,
        "current_page": 1,
        "total_pages": 2,
    }
    assert first["cursor"]["affix"] == "prepend"
    assert isinstance(first["cursor"]["updatedAt"], int)
    assert first["data"][1]["conversationId"] == "ann_user_sam"
    assert "tags" not in first["data"][1]
    second = httpx.get(
        f"{emulator_url}/v3.0/users", params={"per_page": 2, "page": 2}, headers=headers
    ).json()
    assert [user["uid"] for user in second["data"]] == ["bob"]
    tagged = httpx.get(
        f"{emulator_url}/v3.0/users",
        params={"uids": "ann,bob", "withTags": 1, "status": "offline"},
        headers=headers,
    ).json()["data"]
    assert [(user["uid"], user["tags"]) for user in tagged] == [("ann", ["t"]), ("bob", ["t"])]
    friends = httpx.get(f"{emulator_url}/v3.0/users", params={"friendsOnly": 1}, headers=headers)
    assert friends.json()["data"] == []

    bob = httpx.get(f"{emulator_url}/v3.0/users/bob", headers=headers).json()["data"]
    assert (bob["uid"], bob["name"], bob["conversationId"]) == ("bob", "Bob", "bob_user_sam")
    gone = httpx.get(f"{emulator_url}/v3.0/users/cat", headers=headers)
    assert gone.json()["error"]["code"] == "ERR_UID_NOT_FOUND"
    stale = httpx.get(f"{emulator_url}/v3.0/users", headers={"authToken": "sam_0"})
    assert stale.json()["error"]["code"] == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
