"""Host headers: the name without its port, loopback names only, malformed ones refused."""

from __future__ import annotations

import pytest

from cometchat_auth.api.hosts import host_name, is_loopback_host


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Example.COM", "example.com"),
        ("example.com:8000", "example.com"),
        ("[::1]:8000", "[::1]"),
        ("127.0.0.1", "127.0.0.1"),
        ("", None),
        (":80", None),
        ("a:b:c", None),
        ("example.com:http", None),
    ],
)
def test_host_name(header: str, name: str | None) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize("header", ["127.0.0.1:1", "LOCALHOST", "[::1]", "localhost:8000"])
def test_loopback_names(header: str) -> None:
    assert is_loopback_host(header)


@pytest.mark.parametrize(
    "header", [None, "127.0.0.2", "localhost.attacker.example", "127.0.0.1.nip.io", "[::2]", "0"]
)
def test_other_names_are_not_loopback(header: str | None) -> None:
    assert not is_loopback_host(header)
