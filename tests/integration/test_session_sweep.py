"""Idle and expired sessions are ended by the sweep, and their CometChat tokens die with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from cometchat_auth.outbox.cometchat_jobs import DELETE_TOKEN
from cometchat_auth.outbox.models import JobRow
from cometchat_auth.services import open_services
from cometchat_auth.settings import Settings
from cometchat_auth.store import SessionRow, SpentRefreshToken
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
        assert await services.sweep() >= 2
    assert not token_works(emulator_url, idle["authToken"])
    assert not token_works(emulator_url, expired["authToken"])
    assert token_works(emulator_url, fresh["authToken"])
    with serve_auth(settings) as url, httpx.Client(base_url=url) as client:
        assert client.get("/auth/me", headers=bearer(idle)).status_code == 401
        assert client.get("/auth/me", headers=bearer(fresh)).status_code == 200


def refreshed(client: httpx.Client) -> dict[str, Any]:
    """A new account whose session has a spent refresh token."""
    body = register(client)
    answer = client.post("/auth/refresh", json={"refreshToken": body["refreshToken"]})
    assert answer.status_code == 200
    return body


def signed_out(client: httpx.Client, body: dict[str, Any]) -> None:
    assert client.post("/auth/logout", headers=bearer(body)).status_code == 204


async def test_sweep_deletes_old_ended_sessions_and_spent_tokens_of_ended_ones(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(session_retention=3600)
    with serve_auth(settings) as url, httpx.Client(base_url=url) as client:
        old, recent, live = (refreshed(client) for _ in range(3))
        for body in (old, recent):
            signed_out(client, body)
    async with open_services(settings) as services, services.database.sessionmaker() as db:
        await db.execute(
            update(SessionRow)
            .where(SessionRow.user_id == old["user"]["id"])
            .values(ended_at=utcnow() - timedelta(hours=2))
        )
        await db.commit()
        await services.sweep()
        kept = {row.user_id: row.id for row in await db.scalars(select(SessionRow))}
        spent = set(await db.scalars(select(SpentRefreshToken.session_id)))
    assert old["user"]["id"] not in kept  # ended past the retention: deleted
    assert {recent["user"]["id"], live["user"]["id"]} <= kept.keys()
    # Only the live session still needs its spent tokens (to catch a stolen copy).
    assert kept[live["user"]["id"]] in spent
    assert kept[recent["user"]["id"]] not in spent


async def test_a_session_ended_twice_queues_its_token_deletion_once(
    make_settings: Callable[..., Settings],
) -> None:
    """Two workers' sweeps may both pick the same stale session: the second finds it ended."""
    settings = make_settings()
    with serve_auth(settings) as url, httpx.Client(base_url=url) as client:
        body = register(client)
    uid = body["user"]["id"]
    async with open_services(settings) as services:
        async with (
            services.database.sessionmaker() as first,
            services.database.sessionmaker() as second,
        ):
            row = await first.scalar(select(SessionRow).where(SessionRow.user_id == uid))
            stale = await second.scalar(select(SessionRow).where(SessionRow.user_id == uid))
            assert row is not None
            assert stale is not None
            await services.sessions.end(first, row, "idle")
            await first.commit()
            await services.sessions.end(second, stale, "expired")
            await second.commit()
        async with services.database.sessionmaker() as db:
            ended = await db.scalar(select(SessionRow).where(SessionRow.user_id == uid))
            deletions = (
                await db.scalars(
                    select(JobRow).where(JobRow.kind == DELETE_TOKEN, JobRow.ordering_key == uid)
                )
            ).all()
    assert ended is not None
    assert ended.end_reason == "idle"
    assert len(deletions) == 1
