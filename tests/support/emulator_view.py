"""Look at the emulator from outside, as CometChat's dashboard and the JS SDK would."""

from __future__ import annotations

from typing import Any

import httpx

REST_KEY = {"apikey": "test-rest-key-0123456789"}


def emulator_user(emulator_url: str, uid: str) -> dict[str, Any] | None:
    """One user as the emulator holds it (with its valid tokens), via the admin listing."""
    answer = httpx.get(f"{emulator_url}/_emulator/apps/testapp/users", headers=REST_KEY)
    answer.raise_for_status()
    users = {user["uid"]: user for user in answer.json()["data"]}
    return users.get(uid)


def token_works(emulator_url: str, token: str, **client: Any) -> bool:
    """Whether the SDK's first call after ``CometChat.login(authToken)`` succeeds with ``token``."""
    answer = httpx.put(f"{emulator_url}/v3.0/me", headers={"authToken": token}, json={}, **client)
    if answer.status_code == 200:
        return True
    assert answer.json()["error"]["code"] == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND", answer.text
    return False


def set_faults(emulator_url: str, **faults: Any) -> None:
    answer = httpx.put(f"{emulator_url}/_emulator/faults", headers=REST_KEY, json=faults)
    answer.raise_for_status()
