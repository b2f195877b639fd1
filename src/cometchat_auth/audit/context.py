"""Who is asking (IP, user agent), kept for the request so any layer can record an event."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class Client:
    ip: str | None = None
    user_agent: str | None = None


_NOBODY = Client()
_current: ContextVar[Client] = ContextVar("audit_client", default=_NOBODY)


def current_client() -> Client:
    """The client of the request being served; empty outside a request (the CLI, a worker)."""
    return _current.get()


class ClientContext:
    """Remember the request's client; sits inside the proxy middleware, so the IP is resolved."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        agent = Headers(scope=scope).get("user-agent")
        token = _current.set(Client(peer[0] if peer else None, agent[:512] if agent else None))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
