"""The FastAPI plug-in in a host app of the test's own, over real HTTP, on SQLite and PostgreSQL:
its own tables beside the host's, errors in the host's format (or ours), ending a user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import inspect, text

from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.integrations.fastapi import CometChatTokens, Principal
from cometchat_auth.store.db import create_engine
from tests.support.emulator_view import emulator_user, set_faults, token_works
from tests.support.servers import serve


async def host_principal(x_user: str = Header(""), x_login: str = Header("")) -> Principal:
    """The host's own sign-in, reduced to two headers: who, and which of their logins."""
    if not x_user:
        raise HTTPException(401, "host says: sign in")
    return Principal(uid=x_user, key=x_login, name=f"Name of {x_user}")


def host_app(tokens: CometChatTokens, *, create_all: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with tokens.engine.begin() as connection:  # the host's own table
            await connection.execute(text("CREATE TABLE IF NOT EXISTS host_users (id TEXT)"))
        if create_all:
            await tokens.create_all()
        async with tokens.client, tokens.running(migrate=not create_all):
            yield

    app = FastAPI(lifespan=lifespan)
    app.include_router(tokens.router(host_principal))

    @app.post("/logout")
    async def logout(x_login: str = Header()) -> None:
        await tokens.end_session(x_login)

    @app.delete("/users/{uid}")
    async def delete(uid: str) -> None:
        await tokens.delete_user(uid)

    @app.post("/users/{uid}/block")
    async def block(uid: str) -> None:
        await tokens.end_user(uid)

    return app


def plugin(
    emulator_url: str,
    database_url: str,
    *,
    key: str | None = None,
    envelope: bool = False,
    retention: timedelta = timedelta(days=30),
) -> CometChatTokens:
    client = CometChatClient(
        "testapp",
        "test-rest-key-0123456789",
        base_url=f"{emulator_url}/v3",
        deadline=1.0,
        max_attempts=1,
    )
    key = key or Fernet.generate_key().decode()
    engine = create_engine(database_url)
    return CometChatTokens(client, engine, key, envelope=envelope, retention=retention)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own: the host's, with nothing of the server's in it."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'host.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


@pytest.fixture
def host(emulator_url: str, database_url: str) -> Iterator[tuple[httpx.Client, CometChatTokens]]:
    tokens = plugin(emulator_url, database_url)
    with serve(host_app(tokens)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, tokens


def who(uid: str, login: str) -> dict[str, str]:
    return {"X-User": uid, "X-Login": login}


def token(client: httpx.Client, uid: str, login: str) -> str:
    answer = client.post("/cometchat/token", headers=who(uid, login))
    assert answer.status_code == 200, answer.text
    value: str = answer.json()["authToken"]
    return value


async def table_names(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def test_tables_live_under_a_prefix_with_their_own_version_table(
    host: tuple[httpx.Client, CometChatTokens], database_url: str
) -> None:
    names = asyncio.run(table_names(database_url))
    assert {"cca_chat_sessions", "cca_outbox_jobs", "cca_alembic_version"} <= names
    assert "host_users" in names
    # Nothing of the standalone server's, and the host's Alembic table is left to the host.
    assert not names & {"users", "sessions", "outbox_jobs", "alembic_version"}


def test_a_user_ends_and_is_deleted_through_the_outbox(
    host: tuple[httpx.Client, CometChatTokens], emulator_url: str
) -> None:
    client, _ = host
    phone, laptop = token(client, "amy", "phone"), token(client, "amy", "laptop")
    assert emulator_user(emulator_url, "amy")["name"] == "Name of amy"  # type: ignore[index]
    assert token_works(emulator_url, phone)
    assert token_works(emulator_url, laptop)
    assert client.post("/users/amy/block").status_code == 200
    assert not token_works(emulator_url, phone)
    assert not token_works(emulator_url, laptop)
    assert client.post("/cometchat/token", headers=who("amy", "phone")).status_code == 401
    token(client, "amy", "tablet")  # a new login of the same user still works
    assert client.delete("/users/amy").status_code == 200
    assert emulator_user(emulator_url, "amy") is None


def test_a_login_ended_before_its_first_token_never_gets_one(
    host: tuple[httpx.Client, CometChatTokens], emulator_url: str, database_url: str
) -> None:
    client, _ = host
    assert client.post("/logout", headers={"X-Login": "early"}).status_code == 200
    refused = client.post("/cometchat/token", headers=who("bob", "early"))
    assert refused.status_code == 401
    assert refused.json() == {"detail": CLOSED}  # the host's own format: HTTPException's
    # Ended rows stay for the retention, then the sweep deletes them.
    live = token(client, "bob", "later")
    assert client.post("/logout", headers={"X-Login": "later"}).status_code == 200
    assert not token_works(emulator_url, live)
    assert asyncio.run(sweep(plugin(emulator_url, database_url))) == 0
    assert asyncio.run(sweep(plugin(emulator_url, database_url, retention=timedelta(0)))) == 2


async def sweep(tokens: CometChatTokens) -> int:
    try:
        return await tokens.sweep()
    finally:
        await tokens.engine.dispose()


CLOSED = "Sign in first: the access token is missing, invalid or expired, or its session ended."


def test_errors_come_in_the_hosts_format_or_in_ours(emulator_url: str, database_url: str) -> None:
    set_faults(emulator_url, errorRate=1.0)
    key = Fernet.generate_key().decode()
    for envelope in (False, True):
        tokens = plugin(emulator_url, database_url, key=key, envelope=envelope)
        with serve(host_app(tokens)) as url:
            answer = httpx.post(f"{url}/cometchat/token", headers=who("cy", "x"), timeout=30)
        assert answer.status_code == 503
        assert answer.headers["retry-after"]
        message = "CometChat cannot be reached right now; retry later."
        if envelope:
            assert answer.json() == {"error": {"code": "COMETCHAT_UNAVAILABLE", "message": message}}
        else:
            assert answer.json() == {"detail": message}


def test_create_all_is_the_alternative_to_migrations(emulator_url: str, database_url: str) -> None:
    tokens = plugin(emulator_url, database_url)
    with serve(host_app(tokens, create_all=True)) as url, httpx.Client(base_url=url) as client:
        assert token_works(emulator_url, token(client, "dee", "one"))
    names = asyncio.run(table_names(database_url))
    assert {"cca_chat_sessions", "cca_outbox_jobs"} <= names
    assert "cca_alembic_version" not in names
