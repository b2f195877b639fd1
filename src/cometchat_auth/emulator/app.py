"""``create_app``: the emulator as one Starlette app, CometChat's API under each version prefix."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from . import admin, client_api, rest, roles
from .config import EmulatorConfig
from .errors import ApiError, handle_api_error, invalid_api_version, not_found_route
from .faults import InjectFaults
from .ratelimit import RateLimit
from .runtime import Emulator

#: Path versions served: the REST docs say /v3, the SDK uses /v3.0, the legacy SDK /v2.0.
VERSIONS = ("/v3", "/v3.0", "/v2.0")

#: Headers the JS SDK sets on its cross-origin fetches.
SDK_HEADERS = [
    "appId",
    "apiKey",
    "authToken",
    "resource",
    "sdk",
    "onBehalfOf",
    "Content-Type",
    "Accept",
]
RATE_HEADERS = ["X-Rate-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "Retry-After"]


#: A first path segment that names an API version (``v4``, ``v3.1``), served or not.
VERSION_SEGMENT = re.compile(r"/(v[0-9][^/]*)(?:/|$)")


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405: ``ERR_INVALID_API_VERSION`` under a version we do not serve,
    else CometChat's ``ERR_API_NOT_FOUND``."""
    assert isinstance(exc, HTTPException)
    version = VERSION_SEGMENT.match(request.url.path)
    if version and f"/{version.group(1)}" not in VERSIONS:
        return invalid_api_version(version.group(1)).response()
    return not_found_route().response()


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    return ApiError(500, "ERR_EXCEPTION", "Something went wrong.").response()


def create_app(config: EmulatorConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """A fresh emulator; ``clock`` (unix seconds) drives timestamps and rate-limit windows."""
    emulator = Emulator(config, clock)
    api_routes = rest.routes + roles.routes + client_api.routes

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        emulator.store.load()
        try:
            yield
        finally:
            emulator.close()

    app = Starlette(
        routes=[*(Mount(prefix, routes=api_routes) for prefix in VERSIONS), *admin.routes],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
                allow_headers=SDK_HEADERS,
                expose_headers=RATE_HEADERS,
                max_age=600,
            ),
            Middleware(InjectFaults, emulator=emulator),
            Middleware(RateLimit, emulator=emulator),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app
