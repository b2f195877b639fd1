"""The ``Host`` header: which names this server answers to.

A browser sends the name it resolved, so a page on ``attacker.example`` that rebinds its DNS to
127.0.0.1 reaches a loopback server with ``Host: attacker.example``. Checking the name, not only the
peer's address, keeps such pages out.
"""

from __future__ import annotations

import re

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
