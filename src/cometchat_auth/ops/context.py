"""The request being served, as log lines and metrics see it: its id, route and user."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

#: A client's X-Request-ID is kept only if it is short and plain: it goes into every log line.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The route of a request no route matched: one label, so random paths cannot grow the series.
UNMATCHED = "unmatched"


@dataclass(slots=True)
class RequestContext:
    """Filled in as the request goes: the route once matched, the user once known."""

    request_id: str
    #: The ASGI scope; the router writes the matched route into it.
    scope: Mapping[str, Any] = field(default_factory=dict, repr=False)
    user_id: str | None = None

    @property
    def route(self) -> str | None:
        """The matched route's template (``/auth/login``), never the raw path with its ids."""
        path = getattr(self.scope.get("route"), "path", None)
        return path if isinstance(path, str) else None


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def request_id_from(header: str | None) -> str:
    """The client's request id if usable, else a new one."""
    if header is not None and _USABLE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current() -> RequestContext | None:
    """The request being served; None outside a request (the CLI, the outbox's worker)."""
    return _current.get()


def begin(context: RequestContext) -> Token[RequestContext | None]:
    """Make ``context`` current; pass what this returns to ``end``."""
    return _current.set(context)


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def set_user(user_id: str) -> None:
    """Name the signed-in user in the request's log lines."""
    context = _current.get()
    if context is not None:
        context.user_id = user_id
