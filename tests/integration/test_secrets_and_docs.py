"""No secret in any log line; every route and error documented; CORS only for listed origins."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.auth_server import ENCRYPTION_KEY, PASSWORD, bearer, new_email


def test_no_secret_reaches_a_log_line(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email = new_email()
    registered = client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"}
    ).json()
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
    refreshed = client.post("/auth/refresh", json={"refreshToken": login["refreshToken"]}).json()
    reused = client.post("/auth/refresh", json={"refreshToken": login["refreshToken"]})
    assert reused.status_code == 401
    rotated = client.post("/cometchat/token", headers=bearer(registered), json={"rotate": True})
    client.post("/auth/logout", headers=bearer(registered))
    client.post("/auth/login", json={"email": email, "password": "wrong password!"})
    client.get(f"/auth/login?email={email}&password={PASSWORD}")

    secrets = {
        PASSWORD,
        "test-rest-key-0123456789",
        registered["authToken"],
        registered["accessToken"],
        registered["refreshToken"],
        login["authToken"],
        login["accessToken"],
        login["refreshToken"],
        refreshed["refreshToken"],
        refreshed["accessToken"],
        rotated.json()["authToken"],
    }
    assert len(caplog.records) > 0
    text = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    for secret in secrets:
        assert secret not in text


def test_openapi_documents_every_route_and_its_errors(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        ("/auth/register", "post"),
        ("/auth/login", "post"),
        ("/auth/login", "get"),
        ("/auth/refresh", "post"),
        ("/auth/logout", "post"),
        ("/auth/logout-all", "post"),
        ("/auth/me", "get"),
        ("/auth/me", "patch"),
        ("/auth/me", "delete"),
        ("/auth/password", "post"),
        ("/cometchat/token", "post"),
        ("/healthz", "get"),
    }
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert expected <= documented
    for path, method in expected - {("/healthz", "get")}:
        errors = {code for code in paths[path][method]["responses"] if code[0] in "45"}
        assert errors, (path, method)
        for code in errors:
            schema = paths[path][method]["responses"][code]["content"]["application/json"]
            assert schema["schema"]["$ref"].endswith("/ErrorEnvelope")
    login_errors = paths["/auth/login"]["post"]["responses"]
    assert "INVALID_CREDENTIALS" in login_errors["401"]["description"]
    assert "COMETCHAT_UNAVAILABLE" in login_errors["503"]["description"]


def test_cors_allows_only_listed_origins(client: httpx.Client) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options("/auth/login", headers={"Origin": "http://app.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://app.example"
    refused = client.options("/auth/login", headers={"Origin": "http://evil.example", **preflight})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "CORS_REFUSED"
    assert "access-control-allow-origin" not in refused.headers


def test_httpx_request_lines_are_logged_at_info_with_the_token_hidden(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    # Logging is set up where the server starts, not silenced at import: httpx's INFO line for
    # the DELETE of a CometChat token is written, and the token in its URL is not.
    caplog.set_level(logging.INFO)
    body = client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    ).json()
    assert client.post("/auth/logout", headers=bearer(body)).status_code == 204
    deletions = [
        record.getMessage()
        for record in caplog.records
        if record.name == "httpx" and "DELETE" in record.getMessage()
    ]
    assert any(line.endswith('/auth_tokens/*** "HTTP/1.1 200 OK"') for line in deletions), deletions
    assert body["authToken"] not in caplog.text


def test_the_stored_cometchat_token_is_encrypted_at_rest(
    client: httpx.Client, database_url: str
) -> None:
    body = client.post(
        "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Ann"}
    ).json()

    async def stored() -> list[str | None]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT cometchat_token FROM sessions WHERE user_id = :id"),
                    {"id": body["user"]["id"]},
                )
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    (raw,) = asyncio.run(stored())
    assert raw is not None
    assert body["authToken"] not in raw
    # Not merely different: it is the token, sealed with TOKEN_ENCRYPTION_KEYS.
    assert Fernet(ENCRYPTION_KEY).decrypt(raw.encode()).decode() == body["authToken"]
