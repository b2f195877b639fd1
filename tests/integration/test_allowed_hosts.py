"""ALLOWED_HOSTS: only the names the server is meant to answer to; its Host never reflected."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

Server = Callable[..., AbstractContextManager[str]]

PRODUCTION = {"app_env": "production", "public_url": "https://auth.example"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "a b"])
def test_a_local_server_answers_loopback_names_only(make_server: Server, host: str) -> None:
    # DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    with make_server() as url, httpx.Client(base_url=url) as client:
        for path in ("/healthz", "/static", "/auth/login"):
            answer = client.get(path, headers={"host": host})
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["error"]["code"] == "HOST_NOT_ALLOWED"
            assert "evil" not in answer.headers.get("location", "")
        assert client.get("/healthz").status_code == 200


def test_redirects_never_reflect_a_foreign_host(make_server: Server) -> None:
    # Starlette redirects /static to /static/ on the Host it was given.
    with make_server() as url, httpx.Client(base_url=url) as client:
        answer = client.get("/static", headers={"host": "evil.example"})
        assert answer.status_code == 400
        assert "location" not in answer.headers


def test_production_answers_its_allowed_hosts(make_server: Server) -> None:
    with (
        make_server(**PRODUCTION, allowed_hosts=["auth.example", "*.auth.example"]) as url,
        httpx.Client(base_url=url) as client,
    ):
        for host in ("auth.example", "AUTH.example:443", "eu.auth.example"):
            assert client.get("/healthz", headers={"host": host}).status_code == 200, host
        for host in ("127.0.0.1", "evil.example", "auth.example.evil", "xauth.example"):
            answer = client.get("/healthz", headers={"host": host})
            assert answer.status_code == 400, host
            assert answer.json()["error"]["code"] == "HOST_NOT_ALLOWED"


def test_docs_are_on_in_local_mode_and_off_in_production_unless_enabled(
    make_server: Server,
) -> None:
    # Swagger UI loads its scripts from a CDN: not on the cookie origin of a production server.
    with make_server() as url:
        assert httpx.get(f"{url}/docs").status_code == 200
    with make_server(**PRODUCTION) as url:
        for path in ("/docs", "/redoc"):
            assert httpx.get(f"{url}{path}").status_code == 404
        assert httpx.get(f"{url}/openapi.json").status_code == 200
    with make_server(**PRODUCTION, docs_enabled=True) as url:
        assert httpx.get(f"{url}/docs").status_code == 200
