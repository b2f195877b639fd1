"""The emulator answers with exactly the keys and value types of the reference's examples.

The examples are CometChat's own (docs/OpenAPI) or real fixtures, copied from
``shared/cometchat-api.md``; a client written against them must be able to read our answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

EXAMPLES: dict[str, Any] = {
    "create_user": {
        "data": {
            "uid": "cometchat-uid-6",
            "name": "Barry Allen",
            "link": "https://cometchat.com",
            "avatar": "https://example.org/a.webp",
            "metadata": {"rawMetadata": "{'gender':'Male'}"},
            "status": "offline",
            "role": "manager",
            "createdAt": 1638354015,
            "tags": ["Engineer", "manager"],
            "authToken": "cometchat-uid-6_16383540156641d37a023c75d26f4c22a21ff126",
        }
    },
    "get_user": {
        "data": {
            "uid": "u",
            "name": "n",
            "link": "l",
            "avatar": "a",
            "status": "offline",
            "role": "default",
            "createdAt": 1,
        }
    },
    "pagination": {"total": 0, "count": 5, "per_page": 100, "current_page": 1, "total_pages": 1},
    "token": {
        "data": {
            "uid": "cometchat-uid-1",
            "authToken": "cometchat-uid-1_1630306819c3027ce530b2367f3c97b4106f0cb8",
            "createdAt": 1630306819,
        }
    },
    "success": {
        "data": {
            "success": True,
            "message": "User with cometchat-uid-6 has been deleted successfully.",
        }
    },
    "error": {
        "error": {
            "message": "The UID 123123 does not exist, please make sure you have created a user",
            "devMessage": "The UID 123123 does not exist, so please make sure you have created",
            "source": "chat-api",
            "code": "ERR_UID_NOT_FOUND",
        }
    },
    "bad_request": {
        "error": {
            "message": "Failed to validate the data sent with the request.",
            "devMessage": "Failed to validate the data sent with the request.",
            "source": "chat-api",
            "details": {
                "uid": ["The uid field is required."],
                "name": ["The name field is required."],
            },
            "code": "ERR_BAD_REQUEST",
        }
    },
}


def shape(value: Any) -> Any:
    """Keys and value types, recursively: what a client's parser depends on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def list_shape(item: Any) -> Any:
    return {"data": [shape(item)], "meta": {"pagination": shape(EXAMPLES["pagination"])}}


BARRY = {
    "uid": "cometchat-uid-6",
    "name": "Barry Allen",
    "link": "https://cometchat.com",
    "avatar": "https://example.org/a.webp",
    "metadata": {"rawMetadata": "{'gender':'Male'}"},
    "role": "manager",
    "tags": ["Engineer", "manager"],
}


@pytest.fixture
def token(emulator_rest: httpx.Client) -> str:
    emulator_rest.post("/roles", json={"role": "manager", "name": "Manager"})
    created = emulator_rest.post("/users", json={**BARRY, "withAuthToken": True})
    assert shape(created.json()) == shape(EXAMPLES["create_user"])
    minted: str = created.json()["data"]["authToken"]
    return minted


def test_create_user(token: str) -> None:
    assert token.startswith("cometchat-uid-6_")


def test_get_user(emulator_rest: httpx.Client) -> None:
    body = {key: BARRY[key] for key in ("uid", "name", "link", "avatar")}
    emulator_rest.post("/users", json=body)
    answer = emulator_rest.get("/users/cometchat-uid-6").json()
    assert shape(answer) == shape(EXAMPLES["get_user"])


def test_list_users(emulator_rest: httpx.Client, token: str) -> None:
    answer = emulator_rest.get("/users").json()
    assert answer["data"][0]["uid"] == "cometchat-uid-6"
    expected_user = {key: value for key, value in EXAMPLES["create_user"]["data"].items()}
    expected_user.pop("authToken")
    expected_user.pop("tags")  # listed users carry tags only with withTags
    cursor = {"updatedAt": "int", "affix": "str"}  # the list-users example's cursor
    assert shape(answer) == {**list_shape(expected_user), "cursor": cursor}


def test_token_operations(emulator_rest: httpx.Client, token: str) -> None:
    path = "/users/cometchat-uid-6/auth_tokens"
    assert shape(emulator_rest.post(path, json={}).json()) == shape(EXAMPLES["token"])
    assert shape(emulator_rest.get(path).json()) == list_shape(EXAMPLES["token"]["data"])
    assert shape(emulator_rest.get(f"{path}/{token}").json()) == shape(EXAMPLES["token"])
    deleted = emulator_rest.delete(f"{path}/{token}").json()
    assert shape(deleted) == shape(EXAMPLES["success"])
    flushed = emulator_rest.delete(path).json()
    assert shape(flushed) == shape(EXAMPLES["success"])


def test_delete_user(emulator_rest: httpx.Client, token: str) -> None:
    answer = emulator_rest.delete("/users/cometchat-uid-6").json()
    assert answer == EXAMPLES["success"]


def test_error_examples(emulator_url: str, emulator_rest: httpx.Client, token: str) -> None:
    auth_only = {"apikey": "test-auth-key-0123456789"}
    errors = [
        emulator_rest.get("/users/123123"),
        emulator_rest.post("/users", json=BARRY),
        emulator_rest.get("/users/cometchat-uid-6/auth_tokens/cometchat-uid-6_0"),
        emulator_rest.get("/no/such/route"),
        httpx.get(f"{emulator_url}/v3/users"),
        httpx.get(f"{emulator_url}/v3/users", headers={"apikey": "wrong"}),
        httpx.get(f"{emulator_url}/v3/users", headers=auth_only),
        httpx.get(f"{emulator_url}/v2.0/users", headers=auth_only),
        httpx.get(f"{emulator_url}/v3.0/me", headers={"authToken": "x_1"}),
    ]
    for answer in errors:
        assert answer.status_code >= 400
        assert shape(answer.json()) == shape(EXAMPLES["error"]), answer.text
    bad = emulator_rest.post("/users", json={})
    assert shape(bad.json()) == shape(EXAMPLES["bad_request"])
