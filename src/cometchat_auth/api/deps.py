"""FastAPI dependencies: the shared services, a database session, and the signed-in session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.api.transports import Transport
from cometchat_auth.errors import Unauthenticated
from cometchat_auth.ops.context import set_user
from cometchat_auth.security.ratelimit import RateLimits
from cometchat_auth.services import Services
from cometchat_auth.sessions.service import SessionManager
from cometchat_auth.settings import Settings
from cometchat_auth.store import SessionRow, UserRow
from cometchat_auth.store.transaction import transaction


def client_ip(request: Request) -> str | None:
    """The client's address, as the trusted-proxy middleware resolved it."""
    return request.client.host if request.client else None


# Dependencies are ``async def``: FastAPI runs a plain ``def`` one in its thread pool, a hand-off
# to a thread and back on every request for what is an attribute read.


async def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


async def get_transport(request: Request) -> Transport:
    return cast(Transport, request.app.state.transport)


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """One database session per request: handlers commit; a kept refusal commits its work
    (``store.transaction``) before the answer goes; anything else rolls back."""
    async with transaction(services.database.sessionmaker) as db:
        yield db


async def get_sessions(services: ServicesDep) -> SessionManager:
    return services.sessions


async def get_limits(services: ServicesDep) -> RateLimits:
    return services.limits


# The narrower parts, for handlers that need no more.
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[SessionManager, Depends(get_sessions)]
LimitsDep = Annotated[RateLimits, Depends(get_limits)]
TransportDep = Annotated[Transport, Depends(get_transport)]
# Function scope: the transaction ends before the answer is sent, so a client that reads a 401
# and tries again finds the lock-out count already there.
DbDep = Annotated[AsyncSession, Depends(get_db, scope="function")]


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: UserRow
    session: SessionRow


async def signed_in(
    request: Request, sessions: SessionsDep, transport: TransportDep, db: DbDep
) -> SignedIn:
    token = transport.access_token(request)
    if not token:
        raise Unauthenticated
    user, session = await sessions.authenticate(db, token)
    set_user(user.id)
    return SignedIn(user, session)


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
