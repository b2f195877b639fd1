"""PostgreSQL refusing to serve, as it says so itself (SQLSTATE), rather than by a dead socket:
too many connections, a statement cancelled by its timeout. Each is an outage (503 with
Retry-After, a job tried again), never a 500; a bug in SQL stays one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from cometchat_auth.store.outage import is_database_outage
from tests.support.auth_server import register
from tests.support.postgres import admin

pytestmark = pytest.mark.postgres


async def raised_by(url: str, *statements: str) -> BaseException:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("no error")


def test_a_statement_timeout_is_an_outage_and_bad_sql_is_not(postgres_url: str) -> None:
    timed_out = asyncio.run(
        raised_by(postgres_url, "SET statement_timeout = 50", "SELECT pg_sleep(2)")
    )
    assert is_database_outage(timed_out), repr(timed_out)
    assert not is_database_outage(asyncio.run(raised_by(postgres_url, "SELECT FROM nowhere")))


@pytest.fixture
def own_role_url(empty_postgres_url: str) -> Iterator[tuple[str, str]]:
    """The test's database, owned by a login role of its own (a superuser has no connection
    limit); the role and its URL."""
    role = f"cca_{uuid.uuid4().hex[:12]}"
    database = empty_postgres_url.rsplit("/", 1)[1]
    asyncio.run(admin(f"CREATE ROLE {role} LOGIN"))
    asyncio.run(admin(f'ALTER DATABASE "{database}" OWNER TO {role}'))
    try:
        yield role, empty_postgres_url.replace("postgres@", f"{role}@")
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        asyncio.run(admin(f"DROP ROLE IF EXISTS {role}"))


def test_too_many_connections_answers_503(
    own_role_url: tuple[str, str], make_server: Callable[..., AbstractContextManager[str]]
) -> None:
    role, url = own_role_url
    with make_server(database_url=url) as server, httpx.Client(base_url=server) as client:
        account = register(client)
        # No connection more for the role, and the ones the server holds end.
        asyncio.run(admin(f"ALTER ROLE {role} CONNECTION LIMIT 0"))
        asyncio.run(
            admin(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"  # noqa: S608 (a name this test made)
            )
        )
        for _ in range(3):  # past the pooled connections that died: new ones are refused
            answer = client.get(
                "/auth/me", headers={"Authorization": f"Bearer {account['accessToken']}"}
            )
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
            assert int(answer.headers["retry-after"]) >= 1
        asyncio.run(admin(f"ALTER ROLE {role} CONNECTION LIMIT -1"))
        answer = client.get(
            "/auth/me", headers={"Authorization": f"Bearer {account['accessToken']}"}
        )
        assert answer.status_code == 200, answer.text
