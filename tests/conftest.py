"""Fixtures shared across test folders."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cometchat_auth.emulator import AppKeys, EmulatorConfig, create_app
from tests.support.servers import serve


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """One app with fixed keys, so tests can write them down."""
    keys = AppKeys("testapp", "test-rest-key-0123456789", "test-auth-key-0123456789")
    return EmulatorConfig(apps=[keys])


@pytest.fixture
def emulator_url(emulator_config: EmulatorConfig) -> Iterator[str]:
    """The root URL of a fresh CometChat emulator over real HTTP (REST at ``{url}/v3``)."""
    with serve(create_app(emulator_config)) as url:
        yield url


@pytest.fixture
def emulator_rest(emulator_url: str, emulator_config: EmulatorConfig) -> Iterator[httpx.Client]:
    """An httpx client on the emulator's REST API, holding the REST API (fullAccess) key."""
    headers = {"apikey": emulator_config.apps[0].rest_api_key}
    with httpx.Client(base_url=f"{emulator_url}/v3", headers=headers, timeout=10) as client:
        yield client
