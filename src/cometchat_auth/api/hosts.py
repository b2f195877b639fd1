"""The ``Host`` header: which names this server answers to.

A browser sends the name it resolved, so a page on ``attacker.example`` that rebinds its DNS to
127.0.0.1 reaches a loopback server with ``Host: attacker.example``. Checking the name, not only the
peer's address, keeps such pages out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from cometchat_auth.api.errors import HOST_NOT_ALLOWED
from cometchat_auth.settings import Settings

#: The names a loopback server answers to, as written in a ``Host`` header (IPv6 in brackets).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[^:\[\]]*)(?::(?P<port>\d{1,5}))?")


def host_name(header: str) -> str | None:
    """``Host: Example.COM:8000`` -> ``example.com``; None when the header is malformed."""
    match = _HOST.fullmatch(header.strip())
    return match["name"].lower() if match and match["name"] else None


def is_loopback_host(header: str | None) -> bool:
    """Whether a ``Host`` header names this machine only: 127.0.0.1, localhost or [::1]."""
    return header is not None and host_name(header) in LOOPBACK_HOSTS


def allowed_names(settings: Settings) -> list[str]:
    """ALLOWED_HOSTS as ``Host`` names (``::1`` as ``[::1]``); loopback names when unset."""
    names = settings.allowed_hosts or list(LOOPBACK_HOSTS)
    return [f"[{name}]" if ":" in name and not name.startswith("[") else name for name in names]


def host_matcher(names: Iterable[str]) -> Callable[[str | None], bool]:
    """Whether a ``Host`` header is one of ``names``; ``*.example.com`` allows subdomains."""
    lowered = [name.lower() for name in names]
    exact = frozenset(n for n in lowered if not n.startswith("*."))
    suffixes = tuple(n[1:] for n in lowered if n.startswith("*."))

    def allows(header: str | None) -> bool:
        name = host_name(header) if header is not None else None
        return name is not None and (name in exact or name.endswith(suffixes))

    return allows


class AllowedHosts:
    """Refuse (400 HOST_NOT_ALLOWED) a request whose ``Host`` is not an allowed name.

    A rebinding DNS name, a tunnel or a forged header never reaches a route, so nothing built from
    the Host (a redirect's ``Location``) can point elsewhere.
    """

    def __init__(self, app: ASGIApp, *, names: Iterable[str]) -> None:
        self.app = app
        self.allows = host_matcher(names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = next((v for k, v in scope["headers"] if k == b"host"), None)
            if not self.allows(header.decode("latin-1") if header is not None else None):
                await HOST_NOT_ALLOWED.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
