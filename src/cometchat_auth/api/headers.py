"""Security headers on every answer: HSTS, nosniff, referrer policy, CSP, no-store for tokens."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: CometChat's hosted APIs and websockets, for the SDK on the demo page.
COMETCHAT_HOSTS = ("https://*.cometchat.io", "wss://*.cometchat.io")

#: FastAPI's documentation pages load Swagger UI and ReDoc from a CDN with inline scripts.
DOC_PATHS = ("/docs", "/redoc")


def content_security_policy(*, local: bool, client_host: str | None) -> str:
    """The page may run only its own scripts and talk only to us and to CometChat."""
    if local and client_host:
        # The emulator's own origin (it serves the SDK's REST and websocket calls).
        host = client_host.split("/", 1)[0]
        cometchat: tuple[str, ...] = (f"https://{host}", f"wss://{host}")
    else:
        cometchat = COMETCHAT_HOSTS
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            f"connect-src 'self' {' '.join(cometchat)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Add the headers to every HTTP answer; a route's own value for a header wins."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        csp: str,
        hsts: bool,
        no_store_prefixes: Sequence[str] = ("/auth", "/cometchat"),
    ) -> None:
        self.app = app
        self.no_store_prefixes = tuple(no_store_prefixes)
        self.common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Frame-Options": "DENY",
        }
        if hsts:
            # Outside local mode only: a browser remembers it, and local mode is plain HTTP.
            self.common["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = dict(self.common)
        if not path.startswith(DOC_PATHS):
            extra["Content-Security-Policy"] = self.csp
        if path.startswith(self.no_store_prefixes):
            # These answers carry tokens or account data: never in a shared or browser cache.
            extra["Cache-Control"] = "no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
