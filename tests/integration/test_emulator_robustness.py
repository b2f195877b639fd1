"""Whatever a client sends, the emulator answers in its envelope, never 500; state stays whole."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cometchat_auth.emulator import EmulatorConfig

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
USER_FIELDS = st.sampled_from(
    ["uid", "name", "avatar", "link", "role", "statusMessage", "metadata", "tags", "unset"]
)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=st.dictionaries(USER_FIELDS, JSON, max_size=6))
def test_any_user_body_gets_an_enveloped_answer(
    emulator_rest: httpx.Client, body: dict[str, Any]
) -> None:
    created = emulator_rest.post("/users", json=body)
    updated = emulator_rest.put("/users/someone", json=body)
    for answer in (created, updated):
        assert answer.status_code < 500
        assert set(answer.json()) <= {"data", "error"}


@FUZZ
@given(uid=st.text(max_size=110))
def test_uid_rule(emulator_rest: httpx.Client, uid: str) -> None:
    answer = emulator_rest.post("/users", json={"uid": uid, "name": "x"})
    valid = re.fullmatch(r"[a-z0-9_-]{1,100}", uid.lower()) is not None
    if valid:
        assert answer.status_code in (200, 409)
        assert answer.json().get("data", {"uid": uid.lower()})["uid"] == uid.lower()
    else:
        assert answer.status_code == 400
        assert "uid" in answer.json()["error"]["details"]


async def test_concurrent_token_requests_all_count(
    emulator_url: str, emulator_config: EmulatorConfig
) -> None:
    headers = {"apikey": emulator_config.apps[0].rest_api_key}
    async with httpx.AsyncClient(base_url=f"{emulator_url}/v3", headers=headers) as client:
        await client.post("/users", json={"uid": "many", "name": "Many"})
        answers = await asyncio.gather(
            *(client.post("/users/many/auth_tokens", json={"force": True}) for _ in range(30))
        )
        minted = {answer.json()["data"]["authToken"] for answer in answers}
        listed = (await client.get("/users/many/auth_tokens")).json()["data"]
    assert len(minted) == 30
    assert {token["authToken"] for token in listed} == minted
