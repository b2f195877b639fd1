"""What the ``users`` commands do, against the configured database and CometChat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts import disabling
from cometchat_auth.accounts import service as accounts
from cometchat_auth.api.errors import answer_for
from cometchat_auth.cometchat import CometChatError
from cometchat_auth.errors import DomainError
from cometchat_auth.services import Services, open_services
from cometchat_auth.serving import with_local_emulator
from cometchat_auth.settings import Settings, SettingsError, prepare
from cometchat_auth.store import UserRow

console = Console()


def run(job: Coroutine[Any, Any, None]) -> None:
    """Run ``job``; known failures become a one-line message and exit status 1."""
    try:
        asyncio.run(job)
    except (DomainError, SettingsError, ValueError) as exc:
        console.print(f"[red]error:[/red] {_describe(exc)}")
        raise typer.Exit(1) from None
    except CometChatError as exc:
        # Type and code only: CometChat's text may quote a token.
        console.print(f"[red]CometChat failed:[/red] {type(exc).__name__} {exc.code or ''}")
        raise typer.Exit(1) from None


def _describe(exc: Exception) -> str:
    # The same sentence the API answers with.
    return answer_for(exc).message if isinstance(exc, DomainError) else str(exc)


@asynccontextmanager
async def opened_services(settings: Settings | None = None) -> AsyncIterator[Services]:
    """The services of the configured server (the local emulator's keys without credentials)."""
    async with open_services(prepare(with_local_emulator(settings or Settings()))) as services:
        yield services


async def create_user(*, email: str, name: str, password: str) -> None:
    async with opened_services() as services, services.database.sessionmaker() as db:
        new = accounts.NewAccount(email, password, name)
        user = await accounts.create_account(db, services.cometchat_jobs, services.passwords, new)
        await db.commit()
        console.print(f"created {user.email} (id {user.id})")
        await _catch_up(services, user.id)


async def list_users() -> None:
    async with opened_services() as services, services.database.sessionmaker() as db:
        rows = [
            (
                row.id,
                row.email,
                row.name,
                _when(row.created_at),
                _when(row.disabled_at) if row.disabled_at else "",
            )
            for row in await db.scalars(select(UserRow).order_by(UserRow.created_at))
        ]
    if not console.is_terminal:
        # Piped: one tab-separated line per account, for scripts (a table would be cut to fit).
        for fields in rows:
            print("\t".join(fields))
        return
    table = Table("id", "email", "name", "created", "disabled")
    for fields in rows:
        table.add_row(*fields)
    console.print(table)


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


async def delete_user(email: str) -> None:
    async with opened_services() as services, services.database.sessionmaker() as db:
        user = await _account(db, email)
        await accounts.delete_account(db, services.cometchat_jobs, user)
        await db.commit()
        console.print(f"deleted {user.email}")
        await _catch_up(services, user.id)


async def disable_user(email: str) -> None:
    await _set_disabled(email, disabled=True)


async def enable_user(email: str) -> None:
    await _set_disabled(email, disabled=False)


async def _set_disabled(email: str, *, disabled: bool) -> None:
    async with opened_services() as services, services.database.sessionmaker() as db:
        user = await _account(db, email)
        if disabled:
            # Sessions first: their CometChat tokens are flushed before the user is deactivated.
            await services.sessions.end_all(db, user.id, "disabled", flush=True)
        change = disabling.disable if disabled else disabling.enable
        if not await change(db, services.cometchat_jobs, user):
            console.print(f"{user.email} is {'already' if disabled else 'not'} disabled")
            return
        await db.commit()
        if disabled:
            console.print(
                f"disabled {user.email}: signed out everywhere, CometChat user deactivated"
            )
        else:
            console.print(f"enabled {user.email}: it may sign in, CometChat user reactivated")
        await _catch_up(services, user.id)


async def _account(db: AsyncSession, email: str) -> UserRow:
    user = await accounts.find_by_email(db, email)
    if user is None:
        raise ValueError(f"no account for {email}")
    return user


async def _catch_up(services: Services, uid: str) -> None:
    """Run the account's CometChat jobs now; if CometChat is out, the server's worker will."""
    if await services.cometchat_jobs.settle(uid):
        console.print("CometChat is in step")
    else:
        console.print("CometChat cannot be reached: the change is queued (see `outbox list`)")
