"""A signed-in read costs one database round trip: the session and its user, together."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from cometchat_auth.app import create_app
from cometchat_auth.settings import Settings
from tests.support.auth_server import bearer, register
from tests.support.servers import serve


@pytest.fixture
def app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings())


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with serve(app, proxy_headers=False) as served:
        yield served


def statements_during(app: FastAPI, request: Callable[[], httpx.Response]) -> list[str]:
    """The SQL the request sent (the outbox's background polls left out)."""
    seen: list[str] = []

    def capture(*args: Any) -> None:
        statement = str(args[2])  # (connection, cursor, statement, parameters, ...)
        if "outbox_jobs" not in statement:
            seen.append(statement)

    engine = app.state.services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert request().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def test_me_and_the_kept_chat_token_take_one_query(app: FastAPI, url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        signed_in = register(client)
        headers = bearer(signed_in)
        me = statements_during(app, lambda: client.get("/auth/me", headers=headers))
        token = statements_during(
            app, lambda: client.post("/cometchat/token", headers=headers, json={"rotate": False})
        )
    assert len(me) == 1, me
    assert "JOIN users" in me[0]
    assert len(token) == 1, token
