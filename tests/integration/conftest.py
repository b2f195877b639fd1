"""The auth server over real HTTP, on SQLite and on PostgreSQL, talking to the emulator."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from cometchat_auth.settings import Settings
from tests.support.auth_server import isolated_settings, serve_auth
from tests.support.postgres import admin
from tests.support.tcp_proxy import TcpProxy, tcp_proxy


@contextmanager
def _new_postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the block, dropped after."""
    name = f"cca_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, DBAPIError) as exc:
        message = f"PostgreSQL on 127.0.0.1:5432 is unreachable ({exc!r}): PostgreSQL tests NOT RUN"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, with no tables yet."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str, emulator_url: str) -> Callable[..., Settings]:
    """Settings for this test's database and emulator; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "state_dir": tmp_path / "state",
            "database_url": database_url,
            "cometchat_api_base": f"{emulator_url}/v3",
        }
        values.update(overrides)
        return isolated_settings(**values)

    return make


@pytest.fixture
def make_server(
    make_settings: Callable[..., Settings],
) -> Callable[..., AbstractContextManager[str]]:
    """Start another auth server (same database and emulator unless overridden)."""
    return lambda **overrides: serve_auth(make_settings(**overrides))


@pytest.fixture
def server_url(make_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    with make_server() as url:
        yield url


@pytest.fixture
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield http


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A TCP proxy to PostgreSQL that the test can make refuse, blackhole or cut."""
    with tcp_proxy("127.0.0.1", 5432) as proxy:
        yield proxy
