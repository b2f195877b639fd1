"""Security by default over real HTTP: enumeration, limits, client IP, policy, CSRF, audit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cometchat_auth.audit import AuditEventRow, query
from cometchat_auth.store import UserRow, open_database
from tests.support.audit import account_events
from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.servers import free_port

MakeServer = Callable[..., AbstractContextManager[str]]
CLI = str(Path(sys.executable).with_name("cometchat-auth"))


def login(
    http: httpx.Client, email: str, password: str = PASSWORD, **kwargs: Any
) -> httpx.Response:
    return http.post("/auth/login", json={"email": email, "password": password}, **kwargs)


async def audit_events(database_url: str, email: str) -> list[str]:
    """The account's events as ``cometchat-auth audit`` finds them (by email and by id)."""
    async with open_database(database_url) as database, database.sessionmaker() as db:
        return [row.event for row in await query.events(db, email=email, since=None)]


def test_unknown_email_and_wrong_password_answer_byte_for_byte_alike(
    client: httpx.Client,
) -> None:
    email = register(client)["user"]["email"]
    wrong = login(client, email, "not the password at all")
    unknown = login(client, new_email(), "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


def test_a_locked_account_refuses_even_the_right_password_alike(make_server: MakeServer) -> None:
    with (
        make_server(lockout_threshold=3, lockout_base_delay=600) as url,
        httpx.Client(base_url=url) as http,
    ):
        email = register(http)["user"]["email"]
        for _ in range(3):
            assert login(http, email, "wrong password 123").status_code == 401
        right = login(http, email)
        wrong = login(http, email, "wrong password 123")
        assert right.status_code == wrong.status_code == 401
        assert right.content == wrong.content


def test_login_limit_per_ip_answers_429_with_retry_after(make_server: MakeServer) -> None:
    with make_server(rate_limit_login_ip="2/minute") as url, httpx.Client(base_url=url) as http:
        for _ in range(2):
            assert login(http, new_email()).status_code == 401
        refused = login(http, new_email())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "RATE_LIMITED"


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
    make_server: MakeServer,
) -> None:
    with make_server(rate_limit_login_ip="2/minute") as url, httpx.Client(base_url=url) as http:
        for n in range(2):
            spoof = {"X-Forwarded-For": f"198.51.100.{n}"}
            assert login(http, new_email(), headers=spoof).status_code == 401
        refused = login(http, new_email(), headers={"X-Forwarded-For": "198.51.100.99"})
    assert refused.status_code == 429


def test_forwarded_for_from_a_trusted_proxy_is_honoured(
    make_server: MakeServer, database_url: str
) -> None:
    with (
        make_server(rate_limit_login_ip="2/minute", trusted_proxies=["127.0.0.0/8"]) as url,
        httpx.Client(base_url=url) as http,
    ):
        email = register(http)["user"]["email"]
        # Each client behind the proxy has its own allowance.
        for n in range(4):
            answer = login(http, email, headers={"X-Forwarded-For": f"198.51.100.{n}"})
            assert answer.status_code == 200, answer.text

    async def ips() -> list[str | None]:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            rows = await db.scalars(
                select(AuditEventRow.ip).where(
                    AuditEventRow.email == email, AuditEventRow.event == "login_succeeded"
                )
            )
            return list(rows)

    assert sorted(ip for ip in asyncio.run(ips()) if ip) == [f"198.51.100.{n}" for n in range(4)]


def test_private_registration_answers_new_and_taken_emails_alike(make_server: MakeServer) -> None:
    with make_server(registration_mode="private") as url, httpx.Client(base_url=url) as http:
        email = new_email()
        body = {"email": email, "password": PASSWORD, "name": "Ann"}
        first = http.post("/auth/register", json=body)
        again = http.post("/auth/register", json={**body, "password": "another good passphrase"})
        assert first.status_code == again.status_code == 202
        assert first.content == again.content
        assert "accessToken" not in first.text
        assert "authToken" not in first.text
        # No session until the email is verified, and the right password of an unverified
        # account answers as a wrong one: else registering then signing in tells a free address
        # (the password the prober chose works) from a taken one.
        wrong = login(http, email, "wrong password 123")
        unverified = login(http, email)
        for answer in (wrong, unverified):
            assert (answer.status_code, answer.json()["error"]["code"]) == (
                401,
                "INVALID_CREDENTIALS",
            )


def test_open_registration_says_409_for_a_taken_email(client: httpx.Client) -> None:
    email = register(client)["user"]["email"]
    taken = client.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "B"})
    assert taken.status_code == 409


@pytest.mark.parametrize("password", ["password123", "Iloveyou1", "qwertyuiop"])
def test_a_common_password_is_refused(client: httpx.Client, password: str) -> None:
    answer = client.post(
        "/auth/register", json={"email": new_email(), "password": password, "name": "Ann"}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "WEAK_PASSWORD"
    assert "common" in error["message"]
    assert password not in answer.text


def test_password_length_follows_the_settings(make_server: MakeServer) -> None:
    with (
        make_server(password_min_length=12, password_max_length=64) as url,
        httpx.Client(base_url=url) as http,
    ):
        short = http.post(
            "/auth/register", json={"email": new_email(), "password": "eleven chrs", "name": "A"}
        )
        long = http.post(
            "/auth/register", json={"email": new_email(), "password": "x y z " * 11, "name": "A"}
        )
        unicode = http.post(
            "/auth/register",
            json={"email": new_email(), "password": "пароль для чата 🔐", "name": "A"},
        )
    assert short.status_code == long.status_code == 422
    assert short.json()["error"]["code"] == long.json()["error"]["code"] == "WEAK_PASSWORD"
    assert unicode.status_code == 201, unicode.text


async def _stored_hash(database_url: str, email: str) -> str:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        user = await db.scalar(select(UserRow).where(UserRow.email == email))
        assert user is not None
        return user.password_hash


def test_login_rehashes_after_a_parameter_change(
    make_server: MakeServer, database_url: str
) -> None:

    with make_server() as url, httpx.Client(base_url=url) as http:
        email = register(http)["user"]["email"]
    assert "m=64," in asyncio.run(_stored_hash(database_url, email))
    with make_server(argon2_memory_cost=128) as url, httpx.Client(base_url=url) as http:
        assert login(http, email).status_code == 200
        upgraded = asyncio.run(_stored_hash(database_url, email))
        assert "m=128," in upgraded
        assert login(http, email).status_code == 200


def test_cookie_requests_need_the_csrf_proof(make_server: MakeServer) -> None:
    with make_server(session_transport="cookie") as url, httpx.Client(base_url=url) as http:
        register(http)
        csrf = http.cookies["cca_csrf"]
        assert http.get("/auth/me").status_code == 200  # safe methods need no proof
        missing = http.post("/cometchat/token")
        assert missing.status_code == 403
        assert missing.json()["error"]["code"] == "CSRF_FAILED"
        forged = http.post("/cometchat/token", headers={"X-CSRF-Token": "guess"})
        assert forged.status_code == 403
        foreign = http.post(
            "/cometchat/token", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        ours = http.post(
            "/cometchat/token", headers={"X-CSRF-Token": csrf, "Origin": "http://app.example"}
        )
        assert ours.status_code == 200, ours.text
        assert http.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_sign_in_from_a_foreign_origin_is_refused_in_cookie_mode(make_server: MakeServer) -> None:
    with make_server(session_transport="cookie") as url, httpx.Client(base_url=url) as http:
        answer = http.post(
            "/auth/register",
            json={"email": new_email(), "password": PASSWORD, "name": "A"},
            headers={"Origin": "https://evil.example"},
        )
    assert answer.status_code == 403


def test_security_headers_and_no_store(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in page.headers  # local mode is plain HTTP
    body = register(client)
    assert client.get("/auth/me", headers=bearer(body)).headers["Cache-Control"] == "no-store"


def test_audit_log_records_the_flows_and_the_cli_reads_it(
    client: httpx.Client, database_url: str, tmp_path: Any
) -> None:

    body = register(client)
    email = body["user"]["email"]
    assert login(client, email, "wrong password 123").status_code == 401
    signed_in = login(client, email).json()
    assert (
        client.post(
            "/auth/password",
            json={"currentPassword": PASSWORD, "newPassword": "a new good passphrase"},
            headers=bearer(signed_in),
        ).status_code
        == 204
    )
    assert client.post("/auth/logout", headers=bearer(signed_in)).status_code == 204
    events = asyncio.run(audit_events(database_url, email))
    for event in (
        "register",
        "login_failed",
        "login_succeeded",
        "cometchat_token_minted",
        "password_changed",
        "logout",
        "cometchat_token_revoked",
    ):
        assert event in events, events
    env = {**os.environ, "DATABASE_URL": database_url, "STATE_DIR": str(tmp_path)}
    shown = subprocess.run(
        [CLI, "audit", "--user", email.upper(), "--since", "1h"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert "login_failed" in shown
    assert "password_changed" in shown
    assert PASSWORD not in shown
    assert signed_in["refreshToken"] not in shown


def test_redis_down_refuses_limited_requests_with_a_503_and_retry_after(
    make_server: MakeServer,
) -> None:
    # Nothing listens on this port: the limits cannot be counted, so nothing gets through.
    down = f"redis://127.0.0.1:{free_port()}/0"
    with make_server(redis_url=down) as url, httpx.Client(base_url=url, timeout=30) as http:
        for path, body in (
            ("/auth/login", {"email": new_email(), "password": PASSWORD}),
            ("/auth/register", {"email": new_email(), "password": PASSWORD, "name": "Ann"}),
            ("/auth/password/forgot", {"email": new_email()}),
        ):
            answer = http.post(path, json=body)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error"]["code"] == "RATE_LIMIT_UNAVAILABLE"
            assert int(answer.headers["retry-after"]) > 0


def test_each_security_event_is_in_the_audit_log(
    make_server: MakeServer, database_url: str
) -> None:
    with make_server(lockout_threshold=2) as url, httpx.Client(base_url=url) as http:
        locked = register(http)
        for _ in range(3):
            login(http, locked["user"]["email"], "wrong password 123")
        assert "locked_out" in account_events(database_url, locked["user"]["id"])

        first = register(http)
        user_id, email = first["user"]["id"], first["user"]["email"]
        second = login(http, email).json()
        third = login(http, email).json()
        # A spent refresh token presented again: theft, as far as the server can tell.
        assert http.post("/auth/refresh", json={"refreshToken": second["refreshToken"]}).is_success
        reused = http.post("/auth/refresh", json={"refreshToken": second["refreshToken"]})
        assert reused.status_code == 401
        devices = http.get("/auth/sessions", headers=bearer(third)).json()
        other = next(device["id"] for device in devices if not device["current"])
        assert http.delete(f"/auth/sessions/{other}", headers=bearer(third)).status_code == 204
        assert http.post("/auth/logout-all", headers=bearer(third)).status_code == 204
        fourth = login(http, email).json()
        deleted = http.request(
            "DELETE", "/auth/me", json={"password": PASSWORD}, headers=bearer(fourth)
        )
        assert deleted.status_code == 204, deleted.text
    events = account_events(database_url, user_id)
    for event in ("refresh_reused", "session_revoked", "logout_all", "account_deleted"):
        assert event in events, events
    assert events[-1] == "account_deleted"
