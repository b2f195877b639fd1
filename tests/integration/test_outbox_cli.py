"""``cometchat-auth outbox list | retry`` on a real database: what an operator sees and does."""

from __future__ import annotations

import asyncio
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from typer.testing import CliRunner

from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.cli import app
from cometchat_auth.outbox import Outbox, PermanentFailure
from cometchat_auth.outbox.models import FAILED, PENDING, JobRow
from cometchat_auth.store import open_database

runner = CliRunner()


async def seed(database_url: str) -> None:
    """One job given up on, one still pending; the first carries a secret in its payload."""
    async with open_database(database_url) as database:
        outbox = Outbox(database.sessionmaker, TokenVault([Fernet.generate_key().decode()]))

        async def refuse(payload: dict[str, Any]) -> None:
            raise PermanentFailure("no")

        outbox.register("cometchat.delete_token", refuse)
        async with database.sessionmaker() as db:
            await db.execute(delete(JobRow))
            await outbox.enqueue(
                db, "cometchat.delete_token", {"token": "tok-secret"}, ordering_key="ann"
            )
            await outbox.enqueue(db, "cometchat.create_user", {"uid": "bob"}, ordering_key="bob")
            await db.commit()
        assert await outbox.run_now("ann", within=10) is False


async def statuses(database_url: str) -> list[tuple[str, str, int]]:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        rows = await db.scalars(select(JobRow).order_by(JobRow.id))
        return [(row.kind, row.status, row.attempts) for row in rows]


def test_list_shows_pending_and_failed_jobs_without_payloads(database_url: str) -> None:
    asyncio.run(seed(database_url))
    listing = runner.invoke(app, ["outbox", "list"], env={"DATABASE_URL": database_url})
    assert listing.exit_code == 0, listing.output
    lines = [line.split("\t") for line in listing.output.splitlines()]
    assert [(line[1], line[2], line[3]) for line in lines] == [
        ("cometchat.delete_token", "ann", FAILED),
        ("cometchat.create_user", "bob", PENDING),
    ]
    assert "PermanentFailure" in lines[0][-1]
    assert "tok-secret" not in listing.output
    failed = runner.invoke(app, ["outbox", "list", "--failed"], env={"DATABASE_URL": database_url})
    assert len(failed.output.splitlines()) == 1


def test_retry_brings_failed_jobs_back(database_url: str) -> None:
    asyncio.run(seed(database_url))
    env = {"DATABASE_URL": database_url}
    assert runner.invoke(app, ["outbox", "retry"], env=env).exit_code == 2  # an ID or --all
    missing = runner.invoke(app, ["outbox", "retry", "999999"], env=env)
    assert missing.exit_code == 1
    (failed_id,) = [
        line.split("\t")[0]
        for line in runner.invoke(app, ["outbox", "list", "--failed"], env=env).output.splitlines()
    ]
    one = runner.invoke(app, ["outbox", "retry", failed_id], env=env)
    assert one.exit_code == 0, one.output
    assert asyncio.run(statuses(database_url)) == [
        ("cometchat.delete_token", PENDING, 0),
        ("cometchat.create_user", PENDING, 0),
    ]
    every = runner.invoke(app, ["outbox", "retry", "--all"], env=env)
    assert every.exit_code == 0, every.output
    assert "2 job(s)" in every.output
