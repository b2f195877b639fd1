"""Local mode without SMTP: mails land in STATE_DIR/mail, the log says where (never the link),
and ``/dev/mail`` shows them; no other setup serves that mailbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.auth_server import register
from tests.support.waiting import eventually

Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def http(make_server: Server) -> Iterator[httpx.Client]:
    with make_server() as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def mails(http: httpx.Client) -> list[dict[str, str]]:
    answer = http.get("/dev/mail/index.json")
    assert answer.status_code == 200
    listed: list[dict[str, str]] = answer.json()["mails"]
    return listed


def first_mail(http: httpx.Client) -> dict[str, str]:
    return eventually(lambda: mails(http))[0]


def test_a_mail_is_written_to_the_folder_and_shown_at_dev_mail(
    http: httpx.Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email = register(http)["user"]["email"]
    assert mails(http) == []
    assert http.post("/auth/password/forgot", json={"email": email}).status_code == 202

    mail = first_mail(http)
    assert mail["to"] == email
    assert mail["subject"].startswith("Reset your password")
    written = list((tmp_path / "state" / "mail").glob("*.eml"))
    assert [path.name for path in written] == [mail["name"]]

    page = http.get(f"/dev/mail/{mail['name']}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["referrer-policy"] == "no-referrer"
    href = page.text.split('href="', 1)[1].split('"', 1)[0]
    token = parse_qs(urlsplit(href.replace("&amp;", "&")).query)["token"][0]

    assert "written to" in caplog.text
    assert mail["name"] in caplog.text
    assert token not in caplog.text
    assert http.get("/dev/mail").headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("name", ["..%2Fserver-secrets.json", "nope.eml", "%2Fetc%2Fpasswd"])
def test_the_mailbox_serves_nothing_else(http: httpx.Client, name: str) -> None:
    answer = http.get(f"/dev/mail/{name}")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "overrides",
    [{"app_env": "production", "public_url": "https://auth.example"}, {"smtp_host": "127.0.0.1"}],
)
def test_no_mailbox_outside_local_mode_without_smtp(
    make_server: Server, overrides: dict[str, str]
) -> None:
    with make_server(**overrides) as url:
        for path in ("/dev/mail", "/dev/mail/index.json"):
            assert httpx.get(f"{url}{path}").status_code == 404


def test_the_mailbox_is_shown_to_this_machine_only(make_server: Server) -> None:
    # A local server published through a proxy on this machine: the requests come from afar.
    with make_server(trusted_proxies=["127.0.0.1"]) as url, httpx.Client(base_url=url) as client:
        email = register(client)["user"]["email"]
        assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
        remote = {"x-forwarded-for": "203.0.113.9"}
        for path in ("/dev/mail", "/dev/mail/index.json"):
            assert client.get(path, headers=remote).status_code == 404
        assert eventually(lambda: mails(client))  # from this machine itself, the reset mail


def _mailbox_with_a_reset(client: httpx.Client) -> None:
    email = register(client)["user"]["email"]
    assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
    assert eventually(lambda: mails(client))


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "127.0.0.1.nip.io"])
def test_the_mailbox_answers_loopback_host_names_only(make_server: Server, host: str) -> None:
    # DNS rebinding or a tunnel: the peer is this machine, the page asking is someone else's.
    with make_server() as url, httpx.Client(base_url=url) as client:
        _mailbox_with_a_reset(client)
        for path in ("/dev/mail", "/dev/mail/index.json"):
            answer = client.get(path, headers={"host": host})
            assert answer.status_code in (400, 404), answer.text
            assert "reset" not in answer.text.lower()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_the_mailbox_answers_each_loopback_name(make_server: Server, name: str) -> None:
    with make_server() as url, httpx.Client(base_url=url) as client:
        _mailbox_with_a_reset(client)
        port = url.rsplit(":", 1)[1]
        for host in (name, f"{name}:{port}"):
            assert client.get("/dev/mail/index.json", headers={"host": host}).status_code == 200


def test_no_cors_headers_on_the_mailbox_even_with_every_origin_allowed(make_server: Server) -> None:
    # CORS_ORIGINS='*' (local mode): a script on any page the developer opens must not read it.
    with make_server(cors_origins=["*"]) as url, httpx.Client(base_url=url) as client:
        _mailbox_with_a_reset(client)
        origin = {"origin": "https://evil.example"}
        for path in ("/dev/mail", "/dev/mail/index.json"):
            answer = client.get(path, headers=origin)
            assert answer.status_code == 200
            assert not [h for h in answer.headers if h.startswith("access-control-")]
            preflight = client.options(
                path, headers={**origin, "access-control-request-method": "GET"}
            )
            assert not [h for h in preflight.headers if h.startswith("access-control-")]
        # Elsewhere the local-mode convenience still holds.
        assert client.get("/healthz", headers=origin).headers["access-control-allow-origin"] == "*"
