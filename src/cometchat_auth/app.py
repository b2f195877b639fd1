"""``create_app(settings)``: the FastAPI app with its routers, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from cometchat_auth import __version__
from cometchat_auth.api import (
    auth,
    chat,
    devices,
    email,
    email_change,
    errors,
    health,
    identity,
    metrics,
    mfa,
    passkeys,
    web,
)
from cometchat_auth.api.client_ip import TrustedProxies, parse_networks
from cometchat_auth.api.csrf import CsrfProtection
from cometchat_auth.api.headers import SecurityHeaders, content_security_policy
from cometchat_auth.api.hosts import AllowedHosts, allowed_names
from cometchat_auth.api.local_chat import EmulatorProxy
from cometchat_auth.api.middleware import BodyLimit, ClientContext, Cors, NoPasswordInQuery
from cometchat_auth.api.transports import CookieTransport, transport_for
from cometchat_auth.ops.requests import RequestLog
from cometchat_auth.ops.scrape import keep_backlog_fresh
from cometchat_auth.services import Services, identity_config, open_services
from cometchat_auth.settings import Settings, prepare

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    settings = prepare(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The outbox's worker runs CometChat (and mail) jobs for as long as the app serves.
        async with open_services(settings) as services, services.outbox.running():
            app.state.services = services
            tasks = [asyncio.create_task(_sweep(services))]
            if settings.metrics_on and settings.metrics_port:
                interval = settings.metrics_interval
                tasks.append(asyncio.create_task(keep_backlog_fresh(services.outbox, interval)))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = FastAPI(
        title=settings.app_name,
        version=__version__,
        description="Signs people in to your app and hands them a CometChat auth token.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load scripts from a CDN: off on a production cookie origin.
        docs_url="/docs" if settings.docs_on else None,
        redoc_url="/redoc" if settings.docs_on else None,
    )
    app.state.settings = settings
    app.state.transport = transport_for(settings)
    errors.install(app)
    # ACCOUNTS=off: no password accounts, so none of their routes nor the demo page.
    accounts = (
        auth.router,
        chat.router,
        devices.router,
        email.router,
        email_change.router,
        mfa.router,
        passkeys.router,
        web.router,
    )
    exchange = (identity.router,) if identity_config(settings) else ()
    for router in (*(accounts if settings.accounts else ()), *exchange, health.router):
        app.include_router(router)
    if settings.metrics_on and not settings.metrics_port:
        app.include_router(metrics.router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoPasswordInQuery)
    transport = app.state.transport
    if isinstance(transport, CookieTransport):
        app.add_middleware(
            CsrfProtection,
            session_cookies=(transport.access_name, transport.refresh_name),
            refresh_cookie=transport.refresh_name,
            key=transport.csrf_key,
            secure=not settings.local,
            allowed_origins=settings.cors_origins,
        )
    if "*" in settings.cors_origins:
        log.warning("CORS allows every origin: a local-mode convenience, never for production")
    app.add_middleware(
        Cors,
        allow_origins=settings.cors_origins,
        # Credentialed CORS only for the cookie transport and never with a wildcard.
        allow_credentials=settings.session_transport == "cookie"
        and "*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        max_age=600,
    )
    if settings.local and settings.local_emulator_url:
        # Outside CORS and CSRF: the SDK's calls carry CometChat's token, not our session.
        app.add_middleware(EmulatorProxy, upstream=settings.local_emulator_url)
    # Outermost last: headers on every answer, the client's IP resolved before anyone reads it.
    app.add_middleware(ClientContext)
    app.add_middleware(
        TrustedProxies,
        trusted=parse_networks(settings.trusted_proxies),
        header=settings.proxy_header,
    )
    app.add_middleware(
        SecurityHeaders,
        csp=content_security_policy(
            local=settings.local, client_host=settings.cometchat_client_host
        ),
        hsts=not settings.local,
    )
    app.add_middleware(AllowedHosts, names=allowed_names(settings))
    # Outermost: every answer, refusals included, has its request id, access line and metrics.
    app.add_middleware(RequestLog)
    return app


async def _sweep(services: Services) -> None:
    """End idle and expired sessions now and then, so their CometChat tokens die with them;
    and delete lock-outs and mailed tokens that can no longer count, so the tables stay small."""
    while True:
        await asyncio.sleep(services.settings.session_sweep_interval)
        try:
            ended = await services.sweep()
            if ended:
                log.info("ended %d idle or expired sessions", ended)
        except Exception:
            log.exception("sweep failed; retrying at the next interval")
