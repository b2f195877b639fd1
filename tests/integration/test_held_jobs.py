"""A request never waits on a CometChat job that another process holds: that process runs it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete

from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.outbox.cometchat_jobs import UPDATE_USER
from cometchat_auth.outbox.models import PENDING, JobRow
from cometchat_auth.store import open_database
from cometchat_auth.store.models import utcnow
from tests.support.auth_server import ENCRYPTION_KEY, PASSWORD, bearer, new_email, register


@pytest.fixture
def server_url(make_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    # Were a request to wait on the held job, it would wait the whole deadline: past the
    # client's patience below.
    with make_server(cometchat_deadline=120) as url:
        yield url


async def hold_a_job(database_url: str, uid: str) -> int:
    """A job of ``uid`` that another process has claimed, for a minute (its lease)."""
    async with open_database(database_url) as database, database.sessionmaker() as db:
        job = JobRow(
            kind=UPDATE_USER,
            payload=TokenVault([ENCRYPTION_KEY]).seal(json.dumps({"uid": uid})),
            ordering_key=uid,
            status=PENDING,
            attempts=1,
            run_after=utcnow(),
            locked_until=utcnow() + timedelta(seconds=60),
        )
        db.add(job)
        await db.commit()
        return job.id


async def drop_job(database_url: str, job_id: int) -> None:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        await db.execute(delete(JobRow).where(JobRow.id == job_id))
        await db.commit()


async def test_login_and_logout_answer_at_once_while_another_process_holds_a_job(
    server_url: str, database_url: str
) -> None:
    email = new_email()
    with httpx.Client(base_url=server_url) as http:
        signed_in = register(http, email=email)
    job = await hold_a_job(database_url, signed_in["user"]["id"])
    try:
        async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
            logout = await http.post("/auth/logout", headers=bearer(signed_in))
            assert logout.status_code == 204
            # The job runs before the user's next token (it may be a flush): the login answers
            # with none for now, and the client asks /cometchat/token after retryAfter.
            login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200
            body = login.json()
            assert body["authToken"] is None
            assert body["cometchat"]["status"] == "unavailable"
            assert body["retryAfter"] > 0
    finally:
        await drop_job(database_url, job)
