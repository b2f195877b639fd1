"""Pure ASGI guards that answer before any route runs."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cometchat_auth.api.errors import PASSWORD_IN_QUERY, PAYLOAD_TOO_LARGE, error_response
from cometchat_auth.audit import Client, acting_for


class BodyLimit:
    """Refuse bodies over ``max_bytes``: by Content-Length up front, and counted while streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await PAYLOAD_TOO_LARGE.response()(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read; the error handlers answer 413.
                    raise HTTPException(413, PAYLOAD_TOO_LARGE.message)
            return message

        await self.app(scope, limited, send)


class NoPasswordInQuery:
    """Refuse any request whose query string carries a password: URLs end up in logs and history."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            query = scope["query_string"].decode("latin-1")
            if any(
                "password" in key.casefold() for key, _ in parse_qsl(query, keep_blank_values=True)
            ):
                await PASSWORD_IN_QUERY.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


#: No other origin may read these, whatever CORS_ORIGINS says: the mailbox holds reset links.
PRIVATE_PREFIX = "/dev/"


class Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error envelope; none on /dev/."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PRIVATE_PREFIX):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        return error_response(
            response.status_code,
            "CORS_REFUSED",
            "This origin, method or header is not allowed by CORS_ORIGINS.",
            headers={k: v for k, v in response.headers.items() if k.startswith("access-control")},
        )


class ClientContext:
    """Name the request's client in its audit events; sits inside the proxy middleware, so the IP
    is resolved."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        agent = Headers(scope=scope).get("user-agent")
        with acting_for(Client(peer[0] if peer else None, agent[:512] if agent else None)):
            await self.app(scope, receive, send)
