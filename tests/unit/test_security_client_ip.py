"""The client IP: proxy headers count only when a trusted proxy sent them."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from cometchat_auth.api.client_ip import ProxyHeader, client_ip, parse_networks
from cometchat_auth.security.ratelimit import ip_limit_key

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8::/32"])


def resolve(peer: str, header: ProxyHeader = "x-forwarded-for", **headers: str) -> str | None:
    raw = {name.replace("_", "-"): value for name, value in headers.items()}
    return client_ip(peer, Headers(raw), PROXIES, header)


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert resolve("203.0.113.9", x_forwarded_for="198.51.100.1") == "203.0.113.9"
    assert resolve("203.0.113.9", "forwarded", forwarded="for=198.51.100.1") == "203.0.113.9"


def test_a_trusted_proxy_is_believed_from_the_right() -> None:
    # The client put "1.2.3.4" in first; the proxy appended the address it really saw.
    assert resolve("10.0.0.2", x_forwarded_for="1.2.3.4, 198.51.100.7") == "198.51.100.7"


def test_chains_of_trusted_proxies_are_skipped() -> None:
    assert resolve("10.0.0.2", x_forwarded_for="198.51.100.7, 10.1.1.1, 10.2.2.2") == "198.51.100.7"


def test_only_the_configured_header_is_read() -> None:
    # Proxies set X-Forwarded-For here; a Forwarded header can only come from the client.
    assert resolve("10.0.0.2", forwarded="for=1.2.3.4", x_forwarded_for="198.51.100.7") == (
        "198.51.100.7"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ("for=192.0.2.60;proto=http;by=10.0.0.1", "192.0.2.60"),
        ("for=192.0.2.60:8080, for=10.3.3.3", "192.0.2.60"),
        ("for=unknown", "10.0.0.2"),
    ],
)
def test_forwarded_header(value: str, expected: str) -> None:
    assert resolve("10.0.0.2", "forwarded", forwarded=value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2600:1f18::1]:443", "2600:1f18::1"),
        ("198.51.100.1, 203.0.113.7:51234, 10.1.1.1:80", "203.0.113.7"),
        ("2600:1f18::1", "2600:1f18::1"),
        ("[2600:1f18::1]", "2600:1f18::1"),
    ],
)
def test_x_forwarded_for_entries_with_ports(value: str, expected: str) -> None:
    # Some proxies (and load balancers) write the client's port too: it is not garbage.
    assert resolve("10.0.0.2", x_forwarded_for=value) == expected


def test_garbage_in_the_chain_stops_at_the_last_trusted_hop() -> None:
    assert resolve("10.0.0.2", x_forwarded_for="not-an-ip, 10.9.9.9") == "10.9.9.9"


def test_no_header_from_a_trusted_proxy_leaves_the_peer() -> None:
    assert resolve("10.0.0.2") == "10.0.0.2"


def test_bad_networks_are_refused() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks(["nonsense"])


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_per_ip_limits_count_an_ipv6_client_by_its_64(ip: str, key: str) -> None:
    assert ip_limit_key(ip) == key
