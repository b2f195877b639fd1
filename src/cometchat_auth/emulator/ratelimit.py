"""CometChat's per-app request budget, with its headers on every REST answer."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError
from .runtime import Emulator, is_rest_call


class RateLimit:
    """ASGI middleware: counts each request against its app's window, 429 once it is spent."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_rest_call(scope):
            await self.app(scope, receive, send)
            return
        # Unknown app ids share one bucket, so made-up ids cannot grow the counter table.
        app_id = self.emulator.app_id_hint(Request(scope))
        verdict = self.emulator.limiter.hit(app_id if app_id in self.emulator.apps else "")
        headers = {
            "X-Rate-Limit": str(verdict.limit),
            "X-Rate-Limit-Remaining": str(verdict.remaining),
        }
        if not verdict.allowed:
            retry_after = max(1, verdict.reset_at - int(self.emulator.clock()))
            headers["Retry-After"] = str(retry_after)
            headers["X-Rate-Limit-Reset"] = str(verdict.reset_at)
            error = ApiError(
                429,
                "ERR_TOO_MANY_REQUESTS",
                "Too many requests. Please try again later.",
                headers=headers,
            )
            await error.response()(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
