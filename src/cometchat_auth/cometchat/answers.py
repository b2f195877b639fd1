"""Read CometChat's answers: ``data`` into typed results, ``error`` into typed errors.

Every odd body (not JSON, not the envelope, fields missing or of the wrong type) becomes
``Unavailable`` with a message that says what was wrong and never quotes the body, which could
echo a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_snake

from .errors import (
    AuthTokenNotFound,
    BadRequest,
    CometChatError,
    NoAccess,
    RateLimited,
    RoleNotFound,
    Unauthorized,
    Unavailable,
    UserAlreadyExists,
    UserNotFound,
)

T = TypeVar("T")

_BY_CODE: Mapping[str, type[CometChatError]] = {
    "ERR_UID_NOT_FOUND": UserNotFound,
    "ERR_UID_ALREADY_EXISTS": UserAlreadyExists,
    "ERR_AUTH_TOKEN_NOT_FOUND": AuthTokenNotFound,
    "ERR_BAD_REQUEST": BadRequest,
    "ERR_ROLE_NOT_FOUND": RoleNotFound,
    "AUTH_ERR_NO_ACCESS": NoAccess,
    "ERR_TOO_MANY_REQUESTS": RateLimited,
}
_BY_STATUS: Mapping[int, type[CometChatError]] = {
    401: Unauthorized,
    403: Unauthorized,
    409: UserAlreadyExists,
    429: RateLimited,
}
REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced: CometChat's messages may quote the key or a token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # empty, not JSON, or not UTF-8
        return None


def _error_class(code: str | None, status: int) -> type[CometChatError]:
    # The code is the documented contract; the HTTP status of most codes is not.
    if code is not None:
        if code in _BY_CODE:
            return _BY_CODE[code]
        if code.startswith("AUTH_ERR_"):
            return Unauthorized
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return BadRequest
    return Unavailable


def _details(raw: Any, secrets: Iterable[str]) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping):
        return {}
    secrets = tuple(secrets)
    details: dict[str, list[str]] = {}
    for name, messages in raw.items():
        items = messages if isinstance(messages, list) else [messages]
        details[str(name)] = [redact(str(item), secrets) for item in items]
    return details


def error_from(
    response: httpx.Response, *, retry_after: float | None = None, secrets: Iterable[str] = ()
) -> CometChatError:
    """The typed error for a failed answer (a status >= 300, or an ``error`` envelope)."""
    secrets = tuple(secrets)
    body = _json(response)
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    status = response.status_code
    cls = _error_class(code, status)
    text = error.get("message")
    if isinstance(text, str) and text:
        message = f"CometChat answered {status} {code or 'an error'}: {redact(text, secrets)}"
    elif body is None:
        message = f"CometChat answered {status} with a non-JSON body"
    else:
        message = f"CometChat answered {status} {code or 'without an error envelope'}"
    dev = error.get("devMessage")
    kwargs: dict[str, Any] = {
        "code": code,
        "status": status,
        "dev_message": redact(dev, secrets) if isinstance(dev, str) else None,
        "details": _details(error.get("details"), secrets),
    }
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def data_of(response: httpx.Response) -> Any:
    """The ``data`` of a successful answer, or ``Unavailable`` when the body is not the envelope."""
    body = _json(response)
    status = response.status_code
    if body is None:
        raise Unavailable(f"CometChat answered {status} with a non-JSON body", status=status)
    if not isinstance(body, Mapping) or "data" not in body:
        raise Unavailable(f"CometChat answered {status} without a 'data' envelope", status=status)
    return body["data"]


def meta_of(response: httpx.Response) -> Mapping[str, Any]:
    """The ``meta`` object of a list answer, empty when absent or odd."""
    body = _json(response)
    meta = body.get("meta") if isinstance(body, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    # Building an adapter compiles a validator: once per type is enough.
    if kind not in _adapters:
        _adapters[kind] = TypeAdapter(kind)
    return _adapters[kind]


def parse(kind: type[T], raw: Any) -> T:
    """Build ``kind`` (a dataclass of ``types``) from camelCase JSON, ignoring unknown fields."""
    name = kind.__name__
    if not isinstance(raw, Mapping):
        raise Unavailable(
            f"CometChat sent a {type(raw).__name__} where a {name} object was expected"
        )
    try:
        return _adapter(kind).validate_python(
            {to_snake(str(key)): value for key, value in raw.items()}
        )
    except ValidationError as exc:
        # Only field names and reasons: the inputs could be tokens.
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or name}: {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise Unavailable(f"CometChat sent an invalid {name}: {problems}") from None


def parse_list(kind: type[T], raw: Any) -> list[T]:
    """Build a list of ``kind`` from a JSON array."""
    if not isinstance(raw, list):
        raise Unavailable(
            f"CometChat sent a {type(raw).__name__} where a list of {kind.__name__} was expected"
        )
    return [parse(kind, item) for item in raw]
