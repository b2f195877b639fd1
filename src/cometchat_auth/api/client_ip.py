"""The client's IP address: the socket peer, or what a *trusted* proxy says it saw.

``X-Forwarded-For`` and ``Forwarded`` are written by whoever sends the request, so they are read
only when the peer is one of ``TRUSTED_PROXIES``, and then from the right: the first address that
is not a trusted proxy is the client. Only the one header the proxies are configured to set is
read; a client can add the other one unchecked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Literal

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ProxyHeader = Literal["x-forwarded-for", "forwarded"]


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    """``["10.0.0.0/8", "127.0.0.1"]`` as networks; ValueError names a bad entry."""
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine only: ``localhost`` or a loopback address."""
    address = _address(host) if host and host != "localhost" else None
    return host == "localhost" or (address is not None and address.is_loopback)


def _forwarded_hops(value: str) -> list[str]:
    """The ``for=`` addresses of an RFC 7239 ``Forwarded`` header, without quotes or ports."""
    hops = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, node = pair.strip().partition("=")
            if name.lower() != "for":
                continue
            hops.append(_without_port(node.strip().strip('"')))
    return hops


def _without_port(node: str) -> str:
    """``192.0.2.1:4711`` and ``[2001:db8::1]:4711`` without their ports (proxies that write the
    client's port, in either header); a bare IPv6 address has more than one colon, so stays."""
    node = node.strip()
    if node.startswith("["):
        return node[1:].partition("]")[0]
    if node.count(":") == 1:
        return node.partition(":")[0]
    return node


def client_ip(
    peer: str | None, headers: Headers, trusted: list[Network], header: ProxyHeader
) -> str | None:
    """The client address for a request from ``peer`` carrying ``headers``."""
    peer_address = _address(peer) if peer else None
    if peer_address is None or not any(peer_address in net for net in trusted):
        return peer
    values = headers.getlist(header)
    if header == "forwarded":
        hops = [hop for value in values for hop in _forwarded_hops(value)]
    else:
        hops = [_without_port(hop) for value in values for hop in value.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage after the trusted hops came from the client: the last proxy saw the client.
            break
        client = str(address)
        if not any(address in net for net in trusted):
            break
    return client


class TrustedProxies:
    """Put the resolved client address in ``scope["client"]`` for everything downstream."""

    def __init__(self, app: ASGIApp, *, trusted: list[Network], header: ProxyHeader) -> None:
        self.app = app
        self.trusted = trusted
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted:
            peer = scope.get("client")
            resolved = client_ip(
                peer[0] if peer else None, Headers(scope=scope), self.trusted, self.header
            )
            if resolved is not None and (peer is None or resolved != peer[0]):
                scope = {**scope, "client": (resolved, 0)}
        await self.app(scope, receive, send)
