"""The CometChat client under injected trouble: retries that succeed, typed errors at the deadline.

Faults come from the emulator itself (``PUT /_emulator/faults``); the client's sleep is wrapped so
the tests can see every wait it asked for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from cometchat_auth.cometchat import (
    CometChatClient,
    CometChatError,
    RateLimited,
    Unavailable,
    UserAlreadyExists,
)
from cometchat_auth.emulator import EmulatorConfig
from tests.support.servers import free_port

#: A guard against a hang, far above every deadline used here; not a timing assertion.
HANG = 30.0
NO_FAULTS = {"latency": 0, "errorRate": 0, "rateLimitRate": 0, "dropRate": 0, "seed": None}

SetFaults = Callable[..., Awaitable[None]]


def new_uid() -> str:
    return f"f-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def set_faults(
    emulator_config: EmulatorConfig, emulator_url: str
) -> AsyncIterator[SetFaults]:
    key = emulator_config.apps[0].rest_api_key
    async with httpx.AsyncClient(base_url=emulator_url, headers={"apikey": key}) as admin:

        async def put(**faults: Any) -> None:
            response = await admin.put("/_emulator/faults", json={**NO_FAULTS, **faults})
            response.raise_for_status()

        yield put
        await put()


class Waits:
    """Stands in for the client's sleep: records each wait, then sleeps it (or not at all)."""

    def __init__(self, *, real: bool) -> None:
        self.asked: list[float] = []
        self.real = real

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(seconds if self.real else 0)


def make_client(
    emulator_config: EmulatorConfig, emulator_url: str, waits: Waits, **options: Any
) -> CometChatClient:
    keys = emulator_config.apps[0]
    client = CometChatClient(
        keys.app_id, keys.rest_api_key, base_url=f"{emulator_url}/v3", **options
    )
    client._sleep = waits
    return client


async def within_guard(call: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(call, HANG)


def assert_key_hidden(error: CometChatError, key: str) -> None:
    assert key not in str(error)
    assert key not in repr(error)
    assert key not in str(error.__cause__)


async def test_calls_succeed_through_partial_5xx_429_and_drops(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=False)
    async with make_client(emulator_config, emulator_url, waits, max_attempts=20) as client:
        uid = new_uid()
        await client.create_user(uid, "Heidi")
        await set_faults(errorRate=0.3, rateLimitRate=0.2, dropRate=0.2, seed=7)
        for _ in range(10):
            assert (await within_guard(client.get_user(uid))).uid == uid
        await client.update_user(uid, name="Heidi B")
        assert len([user async for user in client.list_users(search_key=uid, per_page=1)]) == 1
        await client.delete_user(uid)
    assert waits.asked, "the faults should have made the client wait and retry"
    assert 1.0 in waits.asked, "a 429 should wait the emulator's Retry-After of 1 s"


async def test_create_user_retries_5xx_and_takes_its_own_earlier_work(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    uid = new_uid()
    keys = emulator_config.apps[0]

    async def the_first_attempt_went_through_after_all(seconds: float) -> None:
        # Between attempts: the user now exists (as if the lost attempt had created it).
        await set_faults()
        async with CometChatClient(
            keys.app_id, keys.rest_api_key, base_url=f"{emulator_url}/v3"
        ) as other:
            await other.create_user(uid, "Ivan")

    await set_faults(errorRate=1.0)
    async with make_client(emulator_config, emulator_url, Waits(real=False)) as client:
        client._sleep = the_first_attempt_went_through_after_all
        user = await within_guard(client.create_user(uid, "Ivan", with_auth_token=True))
        assert user.uid == uid
        assert user.auth_token
        assert (await client.get_auth_token(uid, user.auth_token)).uid == uid


async def test_a_duplicate_on_the_first_attempt_is_still_an_error(
    emulator_config: EmulatorConfig, emulator_url: str
) -> None:
    waits = Waits(real=False)
    async with make_client(emulator_config, emulator_url, waits) as client:
        uid = new_uid()
        await client.create_user(uid, "Judy")
        with pytest.raises(UserAlreadyExists):
            await client.create_user(uid, "Judy")
    assert waits.asked == []


async def test_all_5xx_gives_unavailable_at_the_deadline(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    options = {"deadline": 1.0, "max_attempts": 100, "backoff_base": 0.05, "backoff_max": 0.2}
    async with make_client(emulator_config, emulator_url, waits, **options) as client:
        await set_faults(errorRate=1.0)
        with pytest.raises(Unavailable) as caught:
            await within_guard(client.get_user(new_uid()))
    assert caught.value.status in {500, 502, 503}
    assert len(waits.asked) >= 1
    assert sum(waits.asked) < 1.0, "the client never sleeps past its deadline"
    assert_key_hidden(caught.value, emulator_config.apps[0].rest_api_key)


async def test_all_429_gives_rate_limited_with_retry_after(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    async with make_client(emulator_config, emulator_url, waits, deadline=1.5) as client:
        await set_faults(rateLimitRate=1.0)
        with pytest.raises(RateLimited) as caught:
            # A POST that is never resent on 5xx is still resent on 429.
            await within_guard(client.create_auth_token(new_uid()))
    assert caught.value.retry_after == 1.0
    # One wait of the Retry-After fits in 1.5 s; the second would not, so it gives up at once.
    assert waits.asked == [1.0]


async def test_a_retry_after_longer_than_the_deadline_gives_up_at_once(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    async with make_client(emulator_config, emulator_url, waits, deadline=0.5) as client:
        await set_faults(rateLimitRate=1.0)
        with pytest.raises(RateLimited) as caught:
            await within_guard(client.get_user(new_uid()))
    assert caught.value.retry_after == 1.0
    assert waits.asked == []


async def test_latency_beyond_the_timeout_gives_unavailable_at_the_deadline(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    options = {"timeout": 0.2, "deadline": 1.0, "backoff_base": 0.05}
    async with make_client(emulator_config, emulator_url, waits, **options) as client:
        await set_faults(latency=0.5)
        with pytest.raises(Unavailable, match="Timeout"):
            await within_guard(client.get_user(new_uid()))


async def test_latency_within_the_timeout_is_just_slow(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    async with make_client(emulator_config, emulator_url, waits, timeout=2.0) as client:
        uid = new_uid()
        await client.create_user(uid, "Ken")
        await set_faults(latency=0.2)
        assert (await within_guard(client.get_user(uid))).uid == uid
    assert waits.asked == []


async def test_dropped_connections_are_retried_for_reads_but_not_for_minting(
    emulator_config: EmulatorConfig, emulator_url: str, set_faults: SetFaults
) -> None:
    waits = Waits(real=True)
    options = {"deadline": 1.0, "backoff_base": 0.05, "max_attempts": 3}
    async with make_client(emulator_config, emulator_url, waits, **options) as client:
        uid = new_uid()
        await client.create_user(uid, "Liz")
        await set_faults(dropRate=1.0)
        with pytest.raises(Unavailable):
            await within_guard(client.get_user(uid))
        assert len(waits.asked) == 2  # three attempts, two waits
        waits.asked.clear()
        with pytest.raises(Unavailable):
            # The request may have minted a token before the answer was lost: never resent.
            await within_guard(client.create_auth_token(uid))
        assert waits.asked == []


async def test_connection_refused_gives_unavailable(emulator_config: EmulatorConfig) -> None:
    key = emulator_config.apps[0].rest_api_key
    waits = Waits(real=True)
    client = CometChatClient(
        "testapp",
        key,
        base_url=f"http://127.0.0.1:{free_port()}/v3",
        deadline=1.0,
        backoff_base=0.05,
    )
    client._sleep = waits
    async with client:
        with pytest.raises(Unavailable, match="ConnectError") as caught:
            # Refused proves the request never left: even minting is retried.
            await within_guard(client.create_auth_token("nobody"))
    assert waits.asked, "a refused connection is retried"
    assert_key_hidden(caught.value, key)
