"""``create_app(settings)``: the FastAPI app with its routers, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from cometchat_auth import __version__, errors
from cometchat_auth.api import auth, chat, health, web
from cometchat_auth.api.middleware import BodyLimit, Cors, NoPasswordInQuery
from cometchat_auth.api.transports import transport_for
from cometchat_auth.services import Services, open_services
from cometchat_auth.settings import Settings, prepare

log = logging.getLogger(__name__)

# httpx logs every request URL at INFO, and a token's deletion URL carries the token.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def create_app(settings: Settings) -> FastAPI:
    settings = prepare(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            app.state.services = services
            sweeper = asyncio.create_task(_sweep_sessions(services))
            try:
                yield
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    app = FastAPI(
        title=settings.app_name,
        version=__version__,
        description="Signs people in to your app and hands them a CometChat auth token.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.transport = transport_for(settings)
    errors.install(app)
    for router in (auth.router, chat.router, health.router, web.router):
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoPasswordInQuery)
    if "*" in settings.cors_origins:
        log.warning("CORS allows every origin: a local-mode convenience, never for production")
    app.add_middleware(
        Cors,
        allow_origins=settings.cors_origins,
        # Credentialed CORS only for the cookie transport and never with a wildcard.
        allow_credentials=settings.session_transport == "cookie"
        and "*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    return app


async def _sweep_sessions(services: Services) -> None:
    """End idle and expired sessions now and then, so their CometChat tokens die with them."""
    while True:
        await asyncio.sleep(services.settings.session_sweep_interval)
        try:
            async with services.database.sessionmaker() as db:
                ended = await services.sessions.sweep(db)
            if ended:
                log.info("ended %d idle or expired sessions", ended)
        except Exception:
            log.exception("session sweep failed; retrying at the next interval")
