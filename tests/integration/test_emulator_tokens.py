"""The emulator's auth-token API: minting, listing, revoking and the 100-token window."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def uid(emulator_rest: httpx.Client) -> str:
    emulator_rest.post("/users", json={"uid": "tess", "name": "Tess"})
    return "tess"


def mint(client: httpx.Client, uid: str, **body: object) -> str:
    """A new token (``force: true`` unless the body says otherwise)."""
    answer = client.post(f"/users/{uid}/auth_tokens", json={"force": True, **body})
    assert answer.status_code == 200
    token: str = answer.json()["data"]["authToken"]
    return token


def test_force_mints_a_new_token_every_time(emulator_rest: httpx.Client, uid: str) -> None:
    tokens = {mint(emulator_rest, uid) for _ in range(3)}
    assert len(tokens) == 3
    for token in tokens:
        head, _, tail = token.partition("_")
        assert head == uid
        assert len(tail) == 40
        assert tail[:10].isdigit()


def test_without_force_the_newest_token_comes_back(emulator_rest: httpx.Client, uid: str) -> None:
    # The cautious reading of CometChat's `force` (a [GUESS] in the reference).
    first = emulator_rest.post(f"/users/{uid}/auth_tokens", json={}).json()["data"]
    assert first["authToken"].startswith(f"{uid}_")
    older, newest = mint(emulator_rest, uid), mint(emulator_rest, uid)
    assert older != newest
    for body in ({}, {"force": False}):
        again = emulator_rest.post(f"/users/{uid}/auth_tokens", json=body).json()["data"]
        assert again["authToken"] == newest
    listed = emulator_rest.get(f"/users/{uid}/auth_tokens").json()["data"]
    assert len(listed) == 3  # handing one back minted nothing


def test_create_stores_the_sdk_device_fields(emulator_rest: httpx.Client, uid: str) -> None:
    body = {"platform": "WEB", "deviceId": "testapp_1_2", "appInfo": {"version": "v4.2.0"}}
    token = mint(emulator_rest, uid, **body)
    admin = emulator_rest.get(
        f"{emulator_rest.base_url.copy_with(path='/')}_emulator/apps/testapp/users"
    ).json()["data"][0]["authTokens"][0]
    assert admin["authToken"] == token
    assert admin["platform"] == "WEB"
    assert admin["deviceId"] == "testapp_1_2"
    assert admin["appInfo"] == {"version": "v4.2.0"}


def test_list_get_and_delete_one(emulator_rest: httpx.Client, uid: str) -> None:
    first, second = mint(emulator_rest, uid), mint(emulator_rest, uid)
    listed = emulator_rest.get(f"/users/{uid}/auth_tokens").json()
    assert [t["authToken"] for t in listed["data"]] == [first, second]
    assert listed["meta"]["pagination"]["total"] == 2
    got = emulator_rest.get(f"/users/{uid}/auth_tokens/{first}").json()["data"]
    assert got["uid"] == uid
    assert got["authToken"] == first
    deleted = emulator_rest.delete(f"/users/{uid}/auth_tokens/{first}")
    assert deleted.json()["data"]["success"] is True
    gone = emulator_rest.get(f"/users/{uid}/auth_tokens/{first}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "ERR_AUTH_TOKEN_NOT_FOUND"
    assert first not in gone.text
    assert emulator_rest.get(f"/users/{uid}/auth_tokens/{second}").status_code == 200


def test_flush_ends_every_token(emulator_rest: httpx.Client, uid: str) -> None:
    mint(emulator_rest, uid)
    mint(emulator_rest, uid)
    answer = emulator_rest.delete(f"/users/{uid}/auth_tokens")
    assert answer.json() == {
        "data": {"success": True, "message": f"Cleared Auth Tokens successfully for uid {uid}."}
    }
    assert emulator_rest.get(f"/users/{uid}/auth_tokens").json()["data"] == []


def test_a_token_of_another_user_is_not_found(emulator_rest: httpx.Client, uid: str) -> None:
    emulator_rest.post("/users", json={"uid": "other", "name": "Other"})
    token = mint(emulator_rest, "other")
    answer = emulator_rest.get(f"/users/{uid}/auth_tokens/{token}")
    assert answer.json()["error"]["code"] == "ERR_AUTH_TOKEN_NOT_FOUND"


def test_missing_or_deactivated_user_is_uid_not_found(
    emulator_rest: httpx.Client, uid: str
) -> None:
    for path in ("/users/ghost/auth_tokens", "/users/ghost/auth_tokens/ghost_1"):
        assert emulator_rest.get(path).json()["error"]["code"] == "ERR_UID_NOT_FOUND"
    answer = emulator_rest.post("/users/ghost/auth_tokens", json={})
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "ERR_UID_NOT_FOUND")
    emulator_rest.delete(f"/users/{uid}")
    answer = emulator_rest.post(f"/users/{uid}/auth_tokens", json={})
    assert answer.json()["error"]["code"] == "ERR_UID_NOT_FOUND"


def test_bad_force_is_400(emulator_rest: httpx.Client, uid: str) -> None:
    answer = emulator_rest.post(f"/users/{uid}/auth_tokens", json={"force": "please"})
    assert answer.status_code == 400


def test_only_the_newest_100_tokens_stay_valid(emulator_rest: httpx.Client, uid: str) -> None:
    tokens = [mint(emulator_rest, uid) for _ in range(102)]
    listed = emulator_rest.get(f"/users/{uid}/auth_tokens", params={"perPage": 1000}).json()
    assert [t["authToken"] for t in listed["data"]] == tokens[2:]
    for dropped in tokens[:2]:
        answer = emulator_rest.get(f"/users/{uid}/auth_tokens/{dropped}")
        assert answer.status_code == 404
    assert emulator_rest.get(f"/users/{uid}/auth_tokens/{tokens[2]}").status_code == 200


def test_update_records_where_a_token_is_used(emulator_rest: httpx.Client, uid: str) -> None:
    token = mint(emulator_rest, uid)
    path = f"/users/{uid}/auth_tokens/{token}"
    body = {"platform": "WEB", "userAgent": "Firefox/120", "appInfo": {"version": "1.2"}}
    updated = emulator_rest.put(path, json=body).json()["data"]
    assert updated == {"uid": uid, "authToken": token, "createdAt": updated["createdAt"]}
    used = emulator_rest.get(path).json()["data"]
    assert used == {**updated, **body}
    listed = emulator_rest.get(f"/users/{uid}/auth_tokens").json()["data"]
    assert listed == [used]
    for bad in ({}, {"appInfo": "x"}, {"platform": 5}):
        assert emulator_rest.put(path, json=bad).status_code == 400
    missing = emulator_rest.put(f"/users/{uid}/auth_tokens/{uid}_0", json=body)
    assert missing.json()["error"]["code"] == "ERR_AUTH_TOKEN_NOT_FOUND"


def test_list_pages_through_the_tokens(emulator_rest: httpx.Client, uid: str) -> None:
    tokens = [mint(emulator_rest, uid) for _ in range(5)]
    page = emulator_rest.get(f"/users/{uid}/auth_tokens", params={"perPage": 2, "page": 3}).json()
    assert [t["authToken"] for t in page["data"]] == tokens[4:]
    assert page["meta"]["pagination"] == {
        "total": 5,
        "count": 1,
        "per_page": 2,
        "current_page": 3,
        "total_pages": 3,
    }
