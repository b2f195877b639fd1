"""Security headers on every answer; no-store where tokens travel; a CSP the SDK can live with."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cometchat_auth.api.headers import SecurityHeaders, content_security_policy


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hi")


async def own_policy(request: Request) -> PlainTextResponse:
    return PlainTextResponse("reset page", headers={"Referrer-Policy": "no-referrer"})


def client(*, hsts: bool) -> httpx.AsyncClient:
    app = Starlette(
        routes=[Route(path, hello) for path in ("/", "/auth/login", "/docs")]
        + [Route("/reset", own_policy)]
    )
    wrapped = SecurityHeaders(
        app, csp=content_security_policy(local=False, client_host=None), hsts=hsts
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


async def test_every_answer_has_the_basic_headers() -> None:
    async with client(hsts=True) as http:
        answer = await http.get("/")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "Cache-Control" not in answer.headers


async def test_local_mode_has_no_hsts() -> None:
    async with client(hsts=False) as http:
        answer = await http.get("/")
    assert "Strict-Transport-Security" not in answer.headers


async def test_token_paths_are_never_cached() -> None:
    async with client(hsts=False) as http:
        answer = await http.get("/auth/login")
    assert answer.headers["Cache-Control"] == "no-store"


async def test_a_route_may_tighten_a_header() -> None:
    async with client(hsts=False) as http:
        answer = await http.get("/reset")
    assert answer.headers["Referrer-Policy"] == "no-referrer"


async def test_the_docs_keep_working_without_the_page_csp() -> None:
    async with client(hsts=False) as http:
        answer = await http.get("/docs")
    assert "Content-Security-Policy" not in answer.headers
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_csp_lets_the_sdk_reach_cometchat_and_nothing_else() -> None:
    hosted = content_security_policy(local=False, client_host=None)
    assert "script-src 'self';" in hosted
    assert "connect-src 'self' https://*.cometchat.io wss://*.cometchat.io" in hosted
    local = content_security_policy(local=True, client_host="127.0.0.1:8788")
    assert "connect-src 'self' https://127.0.0.1:8788 wss://127.0.0.1:8788;" in local
    assert "unsafe" not in hosted + local
