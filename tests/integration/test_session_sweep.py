"""Idle and expired sessions are ended by the sweep, and their CometChat tokens die with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import update

from cometchat_auth.services import open_services
from cometchat_auth.settings import Settings
from cometchat_auth.store import SessionRow
from cometchat_auth.store.models import utcnow
from tests.support.auth_server import bearer, register, serve_auth
from tests.support.emulator_view import token_works


async def test_sweep_ends_idle_and_expired_sessions(
    make_settings: Callable[..., Settings], emulator_url: str
) -> None:
    settings = make_settings(session_idle_timeout=3600)
    with serve_auth(settings) as url, httpx.Client(base_url=url) as client:
        idle, expired, fresh = register(client), register(client), register(client)
    now = utcnow()
    async with open_services(settings) as services, services.database.sessionmaker() as db:
        await db.execute(
            update(SessionRow)
            .where(SessionRow.user_id == idle["user"]["id"])
            .values(last_used_at=now - timedelta(hours=2))
        )
        await db.execute(
            update(SessionRow)
            .where(SessionRow.user_id == expired["user"]["id"])
            .values(expires_at=now - timedelta(seconds=1))
        )
        await db.commit()
        assert await services.sessions.sweep(db) >= 2
    assert not token_works(emulator_url, idle["authToken"])
    assert not token_works(emulator_url, expired["authToken"])
    assert token_works(emulator_url, fresh["authToken"])
    with serve_auth(settings) as url, httpx.Client(base_url=url) as client:
        assert client.get("/auth/me", headers=bearer(idle)).status_code == 401
        assert client.get("/auth/me", headers=bearer(fresh)).status_code == 200
