"""CometChat's answers, odd ones included, become typed results or typed errors, never a crash."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cometchat_auth.cometchat import (
    AuthToken,
    AuthTokenNotFound,
    BadRequest,
    CometChatError,
    NoAccess,
    RateLimited,
    Unauthorized,
    Unavailable,
    User,
    UserAlreadyExists,
    UserNotFound,
)
from cometchat_auth.cometchat.answers import data_of, error_from, parse, parse_list

KEY = "rest-key-0123456789abcdef"


def envelope(status: int, code: str | None, message: str = "nope", **extra: Any) -> httpx.Response:
    error: dict[str, Any] = {
        "message": message,
        "devMessage": message,
        "source": "chat-api",
        **extra,
    }
    if code is not None:
        error["code"] = code
    return httpx.Response(status, json={"error": error})


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (404, "ERR_UID_NOT_FOUND", UserNotFound),
        (409, "ERR_UID_ALREADY_EXISTS", UserAlreadyExists),
        (400, "ERR_UID_ALREADY_EXISTS", UserAlreadyExists),  # the code wins over the status
        (409, None, UserAlreadyExists),
        (404, "ERR_AUTH_TOKEN_NOT_FOUND", AuthTokenNotFound),
        (400, "ERR_BAD_REQUEST", BadRequest),
        (404, "ERR_API_NOT_FOUND", BadRequest),
        (422, None, BadRequest),
        (403, "AUTH_ERR_NO_ACCESS", NoAccess),
        (401, "AUTH_ERR_APIKEY_NOT_FOUND", Unauthorized),
        (400, "AUTH_ERR_EMPTY_APPID", Unauthorized),
        (401, None, Unauthorized),
        (403, None, Unauthorized),
        (429, "ERR_TOO_MANY_REQUESTS", RateLimited),
        (429, None, RateLimited),
        (500, "ERR_EXCEPTION", Unavailable),
        (502, None, Unavailable),
        (503, "ERR_SOMETHING_NEW", Unavailable),
    ],
)
def test_errors_map_on_the_code_first_then_the_status(
    status: int, code: str | None, expected: type[CometChatError]
) -> None:
    error = error_from(envelope(status, code))
    assert type(error) is expected
    assert error.status == status
    assert error.code == code


def test_bad_request_keeps_the_details_per_field() -> None:
    details = {"uid": ["The uid field is required."], "name": ["The name field is required."]}
    error = error_from(envelope(400, "ERR_BAD_REQUEST", "Failed to validate", details=details))
    assert isinstance(error, BadRequest)
    assert error.details == details
    assert "Failed to validate" in str(error)


def test_rate_limited_keeps_retry_after() -> None:
    error = error_from(envelope(429, "ERR_TOO_MANY_REQUESTS"), retry_after=15.0)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 15.0


def test_secrets_quoted_by_cometchat_are_redacted() -> None:
    # CometChat's real AUTH_ERR_NO_ACCESS message quotes the key.
    message = f"The key {KEY} cannot be used to perform this operation."
    error = error_from(
        envelope(403, "AUTH_ERR_NO_ACCESS", message, details={"apikey": [KEY]}), secrets=[KEY]
    )
    for text in (str(error), repr(error), error.dev_message or "", str(error.details)):
        assert KEY not in text
    assert "***" in str(error)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(502, text="<html>Bad Gateway</html>"), Unavailable),
        (httpx.Response(503), Unavailable),
        (httpx.Response(404, text="not found"), BadRequest),
        (httpx.Response(429, text=""), RateLimited),
        (httpx.Response(500, json=["error"]), Unavailable),
        (httpx.Response(500, json={"error": "a string"}), Unavailable),
        (httpx.Response(400, json={"error": {"code": 42, "details": "odd"}}), BadRequest),
        (httpx.Response(400, content=b"\xff\xfe\x00garbage"), BadRequest),
    ],
)
def test_odd_error_bodies_still_give_a_typed_error(
    response: httpx.Response, expected: type[CometChatError]
) -> None:
    error = error_from(response)
    assert type(error) is expected
    assert str(response.status_code) in str(error)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200),
        httpx.Response(200, text="<html>ok</html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"result": {}}),
        httpx.Response(200, json={"error": {"code": "ERR_EXCEPTION"}}),
    ],
)
def test_a_success_without_the_data_envelope_is_unavailable(response: httpx.Response) -> None:
    with pytest.raises(Unavailable, match="200"):
        data_of(response)


def test_a_user_is_parsed_from_camel_case_and_unknown_fields_are_ignored() -> None:
    raw = {
        "uid": "cometchat-uid-6",
        "name": "Barry Allen",
        "link": "https://cometchat.com",
        "avatar": "https://example.com/a.webp",
        "metadata": {"rawMetadata": "{'gender':'Male'}"},
        "status": "offline",
        "statusMessage": "busy",
        "role": "manager",
        "createdAt": 1638354015,
        "tags": ["Engineer", "manager"],
        "authToken": "cometchat-uid-6_16383540156641d37a023c75d26f4c22a21ff126",
        "conversationId": "ignored",
    }
    user = parse(User, raw)
    assert user.uid == "cometchat-uid-6"
    assert user.status_message == "busy"
    assert user.created_at == 1638354015
    assert user.tags == ("Engineer", "manager")
    assert user.metadata == {"rawMetadata": "{'gender':'Male'}"}
    assert user.auth_token is not None
    assert user.auth_token not in repr(user)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"name": "No Uid"}, "uid"),
        ({"uid": "x", "name": None}, "name"),
        ({"uid": "x", "name": "X", "createdAt": "yesterday"}, "created_at"),
        ({"uid": "x", "name": "X", "tags": "not-a-list"}, "tags"),
        ("just a string", "str"),
        (None, "NoneType"),
    ],
)
def test_a_user_with_missing_or_wrong_fields_is_unavailable(raw: Any, problem: str) -> None:
    with pytest.raises(Unavailable, match=problem):
        parse(User, raw)


def test_parse_errors_never_quote_the_values() -> None:
    secret = "alice_1630306819c3027ce530b2367f3c97b4106f0cb8"
    with pytest.raises(Unavailable) as caught:
        parse(AuthToken, {"uid": ["alice"], "authToken": secret})
    assert secret not in str(caught.value)
    assert "uid" in str(caught.value)


def test_a_token_list_is_parsed_and_a_non_list_refused() -> None:
    tokens = parse_list(AuthToken, [{"uid": "a", "authToken": "a_1", "createdAt": 1}])
    assert tokens == [AuthToken(uid="a", auth_token="a_1", created_at=1)]
    with pytest.raises(Unavailable, match="list"):
        parse_list(AuthToken, {"uid": "a"})
