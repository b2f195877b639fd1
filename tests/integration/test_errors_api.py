"""Bad input and a failing CometChat: a clear 4xx/502/503 in the envelope, never a 500 or a hang."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.servers import free_port

Server = Callable[..., AbstractContextManager[str]]


def error_code(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def test_get_login_is_refused_with_a_message_that_says_to_post(client: httpx.Client) -> None:
    answer = client.get("/auth/login")
    assert error_code(answer, 405) == "USE_POST"
    assert "POST /auth/login" in answer.json()["error"]["message"]
    assert answer.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/login?email=a@example.com&password=hunter22"),
        ("POST", "/auth/login?password=hunter22"),
        ("GET", "/healthz?Password="),
        ("POST", "/auth/register?new_password=x"),
    ],
)
def test_a_password_in_the_query_string_is_refused(
    client: httpx.Client, method: str, path: str
) -> None:
    answer = client.request(method, path)
    assert error_code(answer, 400) == "PASSWORD_IN_QUERY"
    assert "hunter22" not in answer.text


@pytest.mark.parametrize(
    "content",
    [
        b'{"email": "a@example.com", ',
        b"\xff\xfe",
        b"not json",
        b'{"email": "\xff@example.com", "password": "x"}',  # not UTF-8
        b"[" * 5_000,  # deeper than the parser's recursion limit
    ],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/password/reset"])
def test_malformed_json(client: httpx.Client, path: str, content: bytes) -> None:
    answer = client.post(path, content=content, headers={"Content-Type": "application/json"})
    assert error_code(answer, 400) == "MALFORMED_JSON"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com"},
        {"password": PASSWORD},
        {"email": 5, "password": PASSWORD},
        {"email": "a@example.com", "password": ["x"]},
        {"email": "a@example.com", "password": PASSWORD, "admin": True},
        {"email": "a" * 300 + "@example.com", "password": PASSWORD},
        {"email": "a@example.com", "password": "p" * 10_000},
        [],
        "a string",
        None,
    ],
)
def test_login_validation(client: httpx.Client, body: Any) -> None:
    answer = client.post("/auth/login", json=body)
    assert error_code(answer, 422) == "VALIDATION_ERROR"
    details = answer.json()["error"]["details"]
    assert details
    assert all(set(d) == {"loc", "msg", "type"} for d in details)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not an email", "password": PASSWORD, "name": "Ann"},
        {"email": "a@example.com", "password": "Zq9#kW", "name": "Ann"},
        {"email": "a@example.com", "password": "x" * 129, "name": "Ann"},
        {"email": "a@example.com", "password": PASSWORD, "name": ""},
        {"email": "a@example.com", "password": PASSWORD, "name": "n" * 101},
        {"email": "a@example.com", "password": PASSWORD, "name": "Ann", "role": "admin"},
        {"email": "a@example.com", "password": 12345678, "name": "Ann"},
    ],
)
def test_register_validation_never_echoes_the_password(client: httpx.Client, body: Any) -> None:
    answer = client.post("/auth/register", json=body)
    assert error_code(answer, 422) == "VALIDATION_ERROR"
    assert str(body["password"]) not in answer.text


def test_non_json_content_is_refused(client: httpx.Client) -> None:
    answer = client.post(
        "/auth/login",
        content=f"email=a@example.com&pw={PASSWORD}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= answer.status_code < 500
    assert "error" in answer.json()


def test_oversize_bodies_are_refused(client: httpx.Client) -> None:
    big = b'{"email": "' + b"a" * 70_000 + b'"}'
    declared = client.post("/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert error_code(declared, 413) == "PAYLOAD_TOO_LARGE"

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(70):
            yield b"a" * 1024
        yield b'"}'

    streamed = client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert error_code(streamed, 413) == "PAYLOAD_TOO_LARGE"


def test_unknown_route_and_method_use_the_envelope(client: httpx.Client) -> None:
    assert error_code(client.get("/nope"), 404) == "NOT_FOUND"
    assert error_code(client.put("/auth/logout"), 405) == "METHOD_NOT_ALLOWED"


def test_healthz(client: httpx.Client) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_cometchat_refusing_the_key_answers_502_without_the_key(
    make_server: Server, client: httpx.Client
) -> None:
    email = new_email()
    register(client, email=email)
    wrong_key = "wrong-rest-key-abcdefghij"
    with make_server(cometchat_rest_api_key=wrong_key) as url, httpx.Client(base_url=url) as bad:
        answer = bad.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert error_code(answer, 502) == "COMETCHAT_ERROR"
        assert wrong_key not in answer.text


def test_logout_survives_cometchat_being_down(
    make_server: Server, client: httpx.Client, emulator_url: str
) -> None:
    body = register(client)
    nowhere = f"http://127.0.0.1:{free_port()}/v3"
    with make_server(cometchat_api_base=nowhere) as url, httpx.Client(base_url=url) as down:
        assert down.post("/auth/logout", headers=bearer(body)).status_code == 204
    assert client.get("/auth/me", headers=bearer(body)).status_code == 401
