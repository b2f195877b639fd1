"""Strange and hostile input: each gets a clear 4xx in the error envelope (or is handled right),
never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cometchat_auth.api import web
from tests.support.auth_server import PASSWORD, bearer, new_email, register


def error_code(answer: httpx.Response) -> str:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    code: str = answer.json()["error"]["code"]
    return code


def post_raw(client: httpx.Client, path: str, content: bytes, **headers: str) -> httpx.Response:
    return client.post(
        path, content=content, headers={"Content-Type": "application/json", **headers}
    )


def fullwidth(text: str) -> str:
    """ASCII letters and digits as their fullwidth look-alikes (U+FF41 for ``a``)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_a_declared_body_over_the_limit_is_refused_unread(client: httpx.Client) -> None:
    answer = post_raw(client, "/auth/register", b"{" + b" " * 70_000 + b"}")
    assert answer.status_code == 413
    assert error_code(answer) == "PAYLOAD_TOO_LARGE"


def test_a_streamed_body_is_counted_as_it_arrives(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"email": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    answer = client.post(
        "/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert error_code(answer) == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 30_000 + b"]" * 30_000, id="deep-array"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="deep-object"),
        pytest.param(b'{"email": "\xff\xfe@example.com"}', id="invalid-utf8"),
        pytest.param('{"email": "é@example.com"}'.encode("latin-1"), id="latin-1"),
        pytest.param(b'{"email": "a@example.com", "name": "A\x00"}', id="raw-nul"),
        pytest.param(b'{"email": "a@example.com",', id="truncated"),
        pytest.param(b'{"rotate": 1' + b"0" * 5000 + b"}", id="huge-number"),
    ],
)
def test_malformed_json_is_a_400(client: httpx.Client, body: bytes) -> None:
    for path in ("/auth/register", "/auth/login"):
        answer = post_raw(client, path, body)
        assert answer.status_code == 400, answer.text
        assert error_code(answer) == "MALFORMED_JSON"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"NaN", id="nan"),  # Python's JSON reads it, as a number: not an object
        pytest.param(b"\xef\xbb\xbf{}", id="bom"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_body_that_is_no_object_is_a_422(client: httpx.Client, body: bytes) -> None:
    for path in ("/auth/register", "/auth/login"):
        answer = post_raw(client, path, body)
        assert answer.status_code == 422, answer.text
        assert error_code(answer) == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([1, 2, 3], id="array"),
        pytest.param("just a string", id="string"),
        pytest.param({f"k{n}": n for n in range(3000)}, id="many-keys"),
        pytest.param({"email": ["a@example.com"], "password": {"$ne": ""}}, id="operators"),
        pytest.param({"email": "a@example.com", "password": 12345678, "name": True}, id="types"),
    ],
)
def test_json_of_the_wrong_shape_is_a_422(client: httpx.Client, body: Any) -> None:
    for path in ("/auth/register", "/auth/login"):
        answer = client.post(path, json=body)
        assert answer.status_code == 422, answer.text
        assert error_code(answer) == "VALIDATION_ERROR"


def test_a_body_that_is_not_json_is_refused(client: httpx.Client) -> None:
    form = client.post("/auth/login", data={"email": "a@example.com", "password": PASSWORD})
    text = client.post("/auth/login", content=b"email=a", headers={"Content-Type": "text/plain"})
    for answer in (form, text):
        error_code(answer)


@pytest.mark.parametrize("field", ["email", "password", "name"])
def test_nul_characters_are_refused_before_the_database(client: httpx.Client, field: str) -> None:
    body = {"email": new_email(), "password": PASSWORD, "name": "Ann"}
    body[field] = body[field][:3] + "\x00" + body[field][3:]
    answer = client.post("/auth/register", json=body)
    assert answer.status_code == 422, answer.text
    assert error_code(answer) == "VALIDATION_ERROR"
    assert "\x00" not in answer.text


def test_nul_characters_are_refused_everywhere_a_string_goes(client: httpx.Client) -> None:
    email = new_email()
    headers = bearer(register(client, email=email))
    answers = [
        client.post("/auth/login", json={"email": email + "\x00", "password": PASSWORD}),
        client.post("/auth/login", json={"email": email, "password": PASSWORD + "\x00"}),
        client.patch("/auth/me", json={"name": "A\x00"}, headers=headers),
        client.patch("/auth/me", json={"avatar": "https://x.example/\x00"}, headers=headers),
        client.post("/auth/refresh", json={"refreshToken": "abc\x00"}),
        client.post(
            "/auth/password",
            json={"currentPassword": PASSWORD, "newPassword": "new password\x00"},
            headers=headers,
        ),
    ]
    for answer in answers:
        assert answer.status_code in (401, 422), answer.text
        error_code(answer)
    assert client.get("/auth/me", headers=headers).json()["name"] == "Ann Example"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"email": "a" * 250 + "@example.com"}, id="long-email"),
        pytest.param({"email": "a@" + "b" * 64 + ".example.com"}, id="long-domain-label"),
        pytest.param({"name": "n" * 101}, id="long-name"),
        pytest.param({"name": "n" * 50_000}, id="huge-name"),
        pytest.param({"password": "p" * 129}, id="long-password"),
        pytest.param({"name": "   "}, id="blank-name"),
        pytest.param({"email": "not an email"}, id="not-an-email"),
    ],
)
def test_fields_out_of_bounds_are_a_422(client: httpx.Client, changes: dict[str, str]) -> None:
    body = {"email": new_email(), "password": PASSWORD, "name": "Ann", **changes}
    answer = client.post("/auth/register", json=body)
    assert answer.status_code == 422, answer.text
    assert error_code(answer) == "VALIDATION_ERROR"


def test_the_same_mailbox_in_another_case_is_one_account(client: httpx.Client) -> None:
    email = new_email()
    local, domain = email.split("@")
    first = register(client, email=email)
    for spelling in (email.upper(), f"{local}@{domain.upper()}"):
        again = client.post(
            "/auth/register", json={"email": spelling, "password": PASSWORD, "name": "Twin"}
        )
        assert again.status_code == 409, spelling
        assert error_code(again) == "EMAIL_TAKEN"
        login = client.post("/auth/login", json={"email": spelling, "password": PASSWORD})
        assert login.status_code == 200, spelling
        assert login.json()["user"]["id"] == first["user"]["id"]


def test_a_fullwidth_look_alike_is_another_mailbox_not_the_account(client: httpx.Client) -> None:
    # Compatibility folding would hand the account to whoever owns the look-alike mailbox.
    email = new_email()
    local, domain = email.split("@")
    first = register(client, email=email)
    twin = f"{fullwidth(local)}@{domain}"
    login = client.post("/auth/login", json={"email": twin, "password": PASSWORD})
    assert login.status_code == 401, login.text
    assert error_code(login) == "INVALID_CREDENTIALS"
    assert register(client, email=twin)["user"]["id"] != first["user"]["id"]


SPOOFING_NAMES = [
    pytest.param("Ann\u202egnp.exe", id="right-to-left-override"),
    pytest.param("\u2067Admin\u2069", id="right-to-left-isolate"),
    pytest.param("Ad\u200bmin", id="zero-width-space"),
    pytest.param("Admin\u200d", id="zero-width-joiner"),
    pytest.param("\ufeffAdmin", id="byte-order-mark"),
    pytest.param("Ann\u0007", id="bell"),
    pytest.param("Ann\nAdmin: reset your password", id="newline"),
    pytest.param("Ann\u2028Admin", id="line-separator"),
]


@pytest.mark.parametrize("name", SPOOFING_NAMES)
def test_names_with_format_or_control_characters_are_a_422(client: httpx.Client, name: str) -> None:
    # They reorder or hide what others see of the name in chat: display spoofing.
    body = {"email": new_email(), "password": PASSWORD, "name": name}
    answer = client.post("/auth/register", json=body)
    assert answer.status_code == 422, answer.text
    assert error_code(answer) == "VALIDATION_ERROR"
    headers = bearer(register(client))
    renamed = client.patch("/auth/me", json={"name": name}, headers=headers)
    assert renamed.status_code == 422, renamed.text
    assert error_code(renamed) == "VALIDATION_ERROR"


@pytest.mark.parametrize("name", ["Zoë Ångström", "李小龍", "محمد", "Ana-María O'Neil"])
def test_names_in_any_script_are_kept(client: httpx.Client, name: str) -> None:
    assert register(client, name=name)["user"]["name"] == name


SQL_AND_HTML = [
    "Robert'); DROP TABLE users;--",
    "' OR '1'='1",
    '"; DELETE FROM sessions; --',
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "{{7*7}} ${7*7} %s %n",
]


@pytest.mark.parametrize("text", SQL_AND_HTML)
def test_sql_and_html_are_stored_as_plain_text(client: httpx.Client, text: str) -> None:
    email = new_email()
    body = register(client, email=email, name=text)
    assert body["user"]["name"] == text
    headers = bearer(body)
    # As a password, and as a renamed profile: still just characters.
    changed = client.post(
        "/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": text + " long enough"},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    login = client.post("/auth/login", json={"email": email, "password": text + " long enough"})
    assert login.status_code == 200
    renamed = client.patch("/auth/me", json={"name": text[::-1]}, headers=headers)
    assert renamed.json()["name"] == text[::-1].strip()
    for probe in (text, f"{text}@example.com"):
        refused = client.post("/auth/login", json={"email": probe, "password": text})
        assert refused.status_code == 401, refused.text
    # The tables are all still there and working.
    register(client)


def test_hostile_headers_are_a_401_not_a_crash(client: httpx.Client) -> None:
    for value in (
        "Bearer " + "a" * 6000,
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        answer = client.get("/auth/me", headers={"Authorization": value})
        assert answer.status_code == 401, value
        assert error_code(answer) == "UNAUTHENTICATED"


def test_the_demo_page_never_renders_text_as_html() -> None:
    """Names and emails reach the page as text: no script writes markup from data."""
    scripts = sorted(Path(web.WEB_DIR).glob("*.js"))
    assert scripts
    sink = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|eval\(")
    for script in scripts:
        code = re.sub(r"//[^\n]*", "", script.read_text())
        assert not sink.search(code), script.name
