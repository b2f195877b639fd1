"""Where errors become HTTP answers: the envelope, the table from exception class to status,
code and message, and the handlers that answer with it.

A client branches on ``code``; ``message`` is for people and may change. No message here ever
carries a secret: CometChat's own error text is not passed through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from cometchat_auth import errors
from cometchat_auth.cometchat.errors import CometChatError, RateLimited, Unavailable
from cometchat_auth.identity.errors import (
    MESSAGES,
    ChatSessionOver,
    ProviderUnavailable,
    Reason,
    TokenRejected,
)
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


@dataclass(frozen=True, slots=True)
class Answer:
    """One error answer: status, code, message and headers."""

    status: int
    code: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, headers=self.headers)


#: Every code by name, for the OpenAPI ``responses`` of each route.
CODES: dict[str, Answer] = {}


def _answer(status: int, code: str, message: str, **headers: str) -> Answer:
    answer = Answer(status, code, message, {k.replace("_", "-"): v for k, v in headers.items()})
    CODES[code] = answer
    return answer


VALIDATION_ERROR = _answer(
    422, "VALIDATION_ERROR", "A field is missing, unknown, of the wrong type or out of range."
)
MALFORMED_JSON = _answer(400, "MALFORMED_JSON", "The body is not valid JSON.")
COMETCHAT_ERROR = _answer(502, "COMETCHAT_ERROR", "CometChat refused the request.")
COMETCHAT_UNAVAILABLE = _answer(
    503, "COMETCHAT_UNAVAILABLE", "CometChat cannot be reached right now; retry later."
)
INTERNAL_ERROR = _answer(500, "INTERNAL_ERROR", "Something went wrong on the server.")
DATABASE_UNAVAILABLE = _answer(
    503, "DATABASE_UNAVAILABLE", "The database cannot be reached right now; retry later."
)
# Refusals of the HTTP layer itself (middleware and routes), raised as ``Refusal(ANSWER)``.
USE_POST = _answer(
    405,
    "USE_POST",
    "Send credentials with POST /auth/login in a JSON body; passwords never go in a URL.",
    Allow="POST",
)
PASSWORD_IN_QUERY = _answer(
    400, "PASSWORD_IN_QUERY", "Passwords never go in a URL; send them with POST in a JSON body."
)
PAYLOAD_TOO_LARGE = _answer(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
HOST_NOT_ALLOWED = _answer(
    400, "HOST_NOT_ALLOWED", "This server does not answer to that host name (ALLOWED_HOSTS)."
)
CSRF_FAILED = _answer(
    403,
    "CSRF_FAILED",
    "Cross-site request refused: send it from an allowed origin, with the cca_csrf cookie's"
    " value in the X-CSRF-Token header.",
)

#: The domain's refusals, by class (a subclass answers as its nearest listed base).
DOMAIN: dict[type[errors.DomainError], Answer] = {
    errors.InvalidCredentials: _answer(
        401, "INVALID_CREDENTIALS", "The email or password is wrong."
    ),
    errors.Unauthenticated: _answer(
        401,
        "UNAUTHENTICATED",
        "Sign in first: the access token is missing, invalid or expired, or its session ended.",
        WWW_Authenticate="Bearer",
    ),
    errors.RefreshTokenInvalid: _answer(
        401,
        "REFRESH_TOKEN_INVALID",
        "The refresh token is unknown or its session ended; sign in again.",
    ),
    errors.RefreshTokenReused: _answer(
        401,
        "REFRESH_TOKEN_REUSED",
        "This refresh token was already used; use the newest one, or sign in again.",
    ),
    errors.SessionNotFound: _answer(
        404, "SESSION_NOT_FOUND", "No live session of this account has this id."
    ),
    errors.MfaCodeInvalid: _answer(
        401,
        "MFA_CODE_INVALID",
        "The code is wrong, used already, or too many wrong codes were tried; try again.",
    ),
    errors.MfaTokenInvalid: _answer(
        401,
        "MFA_TOKEN_INVALID",
        "This sign-in step is unknown, used or expired; sign in with your password again.",
    ),
    errors.MfaAlreadyEnabled: _answer(
        409,
        "MFA_ALREADY_ENABLED",
        "An authenticator app is already set up; turn it off first to set up another.",
    ),
    errors.MfaNotEnabled: _answer(
        409, "MFA_NOT_ENABLED", "No authenticator app is set up (or its set-up was not confirmed)."
    ),
    errors.PasskeyChallengeInvalid: _answer(
        400,
        "PASSKEY_CHALLENGE_INVALID",
        "This passkey request is unknown, used or expired; start again.",
    ),
    errors.PasskeyInvalid: _answer(
        400,
        "PASSKEY_INVALID",
        "The passkey could not be verified (unknown here, wrong site, no user verification,"
        " or a copied authenticator).",
    ),
    errors.PasskeyNotFound: _answer(
        404, "PASSKEY_NOT_FOUND", "No passkey of this account has this id."
    ),
    errors.EmailTaken: _answer(409, "EMAIL_TAKEN", "An account with this email already exists."),
    errors.RateLimitExceeded: _answer(
        429, "RATE_LIMITED", "Too many attempts; wait as long as Retry-After says, then try again."
    ),
    errors.RateLimitUnavailable: _answer(
        503,
        "RATE_LIMIT_UNAVAILABLE",
        "The rate limiter cannot be reached right now; retry later.",
        Retry_After="5",
    ),
    errors.WeakPassword: _answer(
        422, "WEAK_PASSWORD", "The new password is too short, too long, or too common."
    ),
    errors.EmailNotVerified: _answer(
        403,
        "EMAIL_NOT_VERIFIED",
        "Verify your email address first: follow the link in the mail we sent.",
    ),
    errors.EmailTokenInvalid: _answer(
        400, "EMAIL_TOKEN_INVALID", "This link is not valid; ask for a new one."
    ),
    errors.EmailTokenUsed: _answer(
        400, "EMAIL_TOKEN_USED", "This link was already used; ask for a new one."
    ),
    errors.EmailTokenExpired: _answer(
        400, "EMAIL_TOKEN_EXPIRED", "This link has expired; ask for a new one."
    ),
    errors.EmailTokenOutdated: _answer(
        400,
        "EMAIL_TOKEN_OUTDATED",
        "The password or email changed since this link was sent; ask for a new one.",
    ),
    ChatSessionOver: _answer(
        401,
        "CHAT_SESSION_ENDED",
        "This chat session ended (logged out); sign in at the identity provider again.",
    ),
    ProviderUnavailable: _answer(
        503,
        "IDENTITY_PROVIDER_UNAVAILABLE",
        "The identity provider's keys cannot be fetched right now; retry later.",
    ),
}
#: An identity provider's token refused: one code per reason (``ID_TOKEN_EXPIRED``, ...).
ID_TOKEN = {reason: _answer(401, f"ID_TOKEN_{reason}", MESSAGES[reason]) for reason in Reason}


def answer_for(exc: errors.DomainError) -> Answer:
    """The answer to a domain refusal, with what the instance adds (a reason, a wait)."""
    if isinstance(exc, TokenRejected):
        return ID_TOKEN[exc.reason]
    answer = next(DOMAIN[kind] for kind in type(exc).__mro__ if kind in DOMAIN)
    if isinstance(exc, ProviderUnavailable):
        return replace(answer, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, errors.WeakPassword):
        return replace(answer, message=exc.reason)
    if isinstance(exc, errors.RateLimitExceeded):
        return replace(answer, headers={"Retry-After": str(exc.retry_after)})
    return answer


class Refusal(Exception):
    """A refusal of the HTTP layer itself (``raise Refusal(USE_POST)``)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.code)
        self.answer = answer


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
        merged.setdefault(CODES[code].status, []).append(code)
    return {
        status: {
            "model": ErrorEnvelope,
            "description": "; ".join(f"`{code}`: {CODES[code].message}" for code in names),
        }
        for status, names in sorted(merged.items())
    }


_STATUS_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return answer_for(exc).response()


async def _refusal(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return exc.answer.response()


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.__cause__ is not None:
        # FastAPI's "error parsing the body", raised from what ``json.loads`` threw besides a
        # JSONDecodeError: bytes that are not UTF-8, nesting past the recursion limit.
        return MALFORMED_JSON.response()
    code = _STATUS_CODES.get(status) or HTTPStatus(status).name
    # Our own code raises domain errors or a Refusal; starlette's details ("Not Found") are safe.
    return error_response(status, code, str(exc.detail), headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors_ = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors_):
        return MALFORMED_JSON.response()
    # Only loc, msg and type: the input (maybe a password) never comes back.
    details = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors_
    ]
    return error_response(422, "VALIDATION_ERROR", "The request is not valid.", details=details)


def cometchat_answer(exc: CometChatError) -> Answer:
    """502 for a refusal, 503 with Retry-After for an outage; never CometChat's own text."""
    if isinstance(exc, Unavailable | RateLimited):
        return replace(COMETCHAT_UNAVAILABLE, headers={"Retry-After": str(retry_after(exc))})
    return COMETCHAT_ERROR


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
    return cometchat_answer(exc).response()


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After while the database is away (a bug in SQL stays a 500).

    Handled here rather than as an unhandled error, so the keep-alive connection stays open.
    """
    if not is_database_outage(exc):
        return await _internal_error(request, exc)
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return replace(DATABASE_UNAVAILABLE, headers={"Retry-After": str(retry_after(None))}).response()


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return INTERNAL_ERROR.response()


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with the envelope."""
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CometChatError, _cometchat_error)
    for outage in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(outage, _database_error)
    app.add_exception_handler(Exception, _internal_error)
