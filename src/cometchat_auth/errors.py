"""The error envelope every 4xx and 5xx answer uses, the errors that map to it, and their handlers.

A client branches on ``code``; ``message`` is for people and may change. No message here ever
carries a secret: CometChat's own error text is not passed through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from cometchat_auth.cometchat.errors import CometChatError, RateLimited, Unavailable
from cometchat_auth.outbox.breaker import retry_after
from cometchat_auth.store.outage import is_database_outage

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """One validation problem: where, what, and pydantic's type; never the input value."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    """``{"error": {"code", "message", "details"?}}``."""

    error: ErrorBody


#: Status and meaning of every code, for the OpenAPI ``responses`` of each route: these, and
#: every AppError's own (added as each subclass is defined).
CODES: dict[str, tuple[int, str]] = {
    "VALIDATION_ERROR": (422, "A field is missing, unknown, of the wrong type or out of range."),
    "MALFORMED_JSON": (400, "The body is not valid JSON."),
    "COMETCHAT_ERROR": (502, "CometChat refused the request."),
    "COMETCHAT_UNAVAILABLE": (503, "CometChat cannot be reached right now; retry later."),
    "INTERNAL_ERROR": (500, "Something went wrong on the server."),
    "DATABASE_UNAVAILABLE": (503, "The database cannot be reached right now; retry later."),
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = list(details)
    return JSONResponse({"error": body}, status_code=status, headers=dict(headers or {}))


class AppError(Exception):
    """An answer the server means to give; subclasses fix the status, code and message."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    message: ClassVar[str] = "The request cannot be served."
    headers: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        CODES[cls.code] = (cls.status, cls.message)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, headers=self.headers)


class InvalidCredentials(AppError):
    status, code = 401, "INVALID_CREDENTIALS"
    message = "The email or password is wrong."


class Unauthenticated(AppError):
    status, code = 401, "UNAUTHENTICATED"
    message = (
        "Sign in first: the access token is missing, invalid or expired, or its session ended."
    )
    headers: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": "Bearer"}


class RefreshTokenInvalid(AppError):
    status, code = 401, "REFRESH_TOKEN_INVALID"
    message = "The refresh token is unknown or its session ended; sign in again."


class RefreshTokenReused(AppError):
    status, code = 401, "REFRESH_TOKEN_REUSED"
    message = "This refresh token was already used; use the newest one, or sign in again."


class SessionNotFound(AppError):
    status, code = 404, "SESSION_NOT_FOUND"
    message = "No live session of this account has this id."


class EmailTaken(AppError):
    status, code = 409, "EMAIL_TAKEN"
    message = "An account with this email already exists."


class UsePost(AppError):
    status, code = 405, "USE_POST"
    message = "Send credentials with POST /auth/login in a JSON body; passwords never go in a URL."
    headers: ClassVar[Mapping[str, str]] = {"Allow": "POST"}


class PasswordInQuery(AppError):
    status, code = 400, "PASSWORD_IN_QUERY"
    message = "Passwords never go in a URL; send them with POST in a JSON body."


class PayloadTooLarge(AppError):
    status, code = 413, "PAYLOAD_TOO_LARGE"
    message = "The request body is too large."


class TooManyRequests(AppError):
    """Past a rate limit; ``Retry-After`` says when the next attempt counts."""

    status, code = 429, "RATE_LIMITED"
    message = "Too many attempts; wait as long as Retry-After says, then try again."

    def __init__(self, *, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {"Retry-After": str(self.retry_after)}
        return error_response(self.status, self.code, self.message, headers=headers)


class RateLimitUnavailable(AppError):
    status, code = 503, "RATE_LIMIT_UNAVAILABLE"
    message = "The rate limiter cannot be reached right now; retry later."
    headers: ClassVar[Mapping[str, str]] = {"Retry-After": "5"}


class CsrfFailed(AppError):
    status, code = 403, "CSRF_FAILED"
    message = (
        "Cross-site request refused: send it from an allowed origin, with the cca_csrf cookie's"
        " value in the X-CSRF-Token header."
    )


class WeakPassword(AppError, ValueError):
    """The policy refused a new password (a bad value, so a ValueError too); says why, never it."""

    status, code = 422, "WEAK_PASSWORD"
    message = "The new password is too short, too long, or too common."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.reason)


class EmailNotVerified(AppError):
    status, code = 403, "EMAIL_NOT_VERIFIED"
    message = "Verify your email address first: follow the link in the mail we sent."


class EmailTokenInvalid(AppError):
    status, code = 400, "EMAIL_TOKEN_INVALID"
    message = "This link is not valid; ask for a new one."


class EmailTokenUsed(AppError):
    status, code = 400, "EMAIL_TOKEN_USED"
    message = "This link was already used; ask for a new one."


class EmailTokenExpired(AppError):
    status, code = 400, "EMAIL_TOKEN_EXPIRED"
    message = "This link has expired; ask for a new one."


class EmailTokenOutdated(AppError):
    status, code = 400, "EMAIL_TOKEN_OUTDATED"
    message = "The password or email changed since this link was sent; ask for a new one."


#: The codes every route behind a rate limit can answer, and every route that calls CometChat.
LIMITED = ("RATE_LIMITED", "RATE_LIMIT_UNAVAILABLE")
COMETCHAT = ("COMETCHAT_ERROR", "COMETCHAT_UNAVAILABLE")


def responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route answering these codes (and those every route can)."""
    merged: dict[int, list[str]] = {}
    for code in (
        *codes,
        "VALIDATION_ERROR",
        "MALFORMED_JSON",
        "PAYLOAD_TOO_LARGE",
        "INTERNAL_ERROR",
        "DATABASE_UNAVAILABLE",
    ):
        merged.setdefault(CODES[code][0], []).append(code)
    return {
        status: {
            "model": ErrorEnvelope,
            "description": "; ".join(f"`{code}`: {CODES[code][1]}" for code in names),
        }
        for status, names in sorted(merged.items())
    }


_STATUS_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return exc.response()


def _malformed_json() -> JSONResponse:
    return error_response(400, "MALFORMED_JSON", CODES["MALFORMED_JSON"][1])


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.__cause__ is not None:
        # FastAPI's "error parsing the body", raised from what ``json.loads`` threw besides a
        # JSONDecodeError: bytes that are not UTF-8, nesting past the recursion limit.
        return _malformed_json()
    code = _STATUS_CODES.get(status) or HTTPStatus(status).name
    # Our own code raises AppError; starlette's details ("Not Found") are safe to show.
    return error_response(status, code, str(exc.detail), headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return _malformed_json()
    # Only loc, msg and type: the input (maybe a password) never comes back.
    details = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors
    ]
    return error_response(422, "VALIDATION_ERROR", "The request is not valid.", details=details)


async def _cometchat_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CometChatError)
    # Type, code and status only: CometChat's own text may quote a token.
    log.warning(
        "CometChat failed on %s %s: %s code=%s status=%s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc.code,
        exc.status,
    )
    if isinstance(exc, Unavailable | RateLimited):
        return error_response(
            503,
            "COMETCHAT_UNAVAILABLE",
            CODES["COMETCHAT_UNAVAILABLE"][1],
            headers={"Retry-After": str(retry_after(exc))},
        )
    return error_response(502, "COMETCHAT_ERROR", CODES["COMETCHAT_ERROR"][1])


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After while the database is away (a bug in SQL stays a 500).

    Handled here rather than as an unhandled error, so the keep-alive connection stays open.
    """
    if not is_database_outage(exc):
        return await _internal_error(request, exc)
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return error_response(
        503,
        "DATABASE_UNAVAILABLE",
        CODES["DATABASE_UNAVAILABLE"][1],
        headers={"Retry-After": str(retry_after(None))},
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", CODES["INTERNAL_ERROR"][1])


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with the envelope."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CometChatError, _cometchat_error)
    for outage in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(outage, _database_error)
    app.add_exception_handler(Exception, _internal_error)
