"""Who is asking (IP, user agent), kept for the request so any layer can record an event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Client:
    ip: str | None = None
    user_agent: str | None = None


_NOBODY = Client()
_current: ContextVar[Client] = ContextVar("audit_client", default=_NOBODY)


def current_client() -> Client:
    """The client of the request being served; empty outside a request (the CLI, a worker)."""
    return _current.get()


@contextmanager
def acting_for(client: Client) -> Iterator[None]:
    """Events recorded within the block name ``client`` (the HTTP layer sets it per request)."""
    token = _current.set(client)
    try:
        yield
    finally:
        _current.reset(token)
