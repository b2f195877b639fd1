"""Typed errors of the CometChat client, keyed on CometChat's ``error.code`` before the HTTP status.

No message built here ever includes the REST API key or an auth token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class CometChatError(Exception):
    """Base of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        dev_message: str | None = None,
        details: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.dev_message = dev_message
        self.details: Mapping[str, Sequence[str]] = details or {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"message={self.message!r})"
        )


class InvalidUid(CometChatError, ValueError):
    """A UID that breaks CometChat's rules, caught locally before any request."""


class UserNotFound(CometChatError):
    """``ERR_UID_NOT_FOUND``: no such user, or the user is deactivated."""


class UserAlreadyExists(CometChatError):
    """``ERR_UID_ALREADY_EXISTS``."""


class AuthTokenNotFound(CometChatError):
    """``ERR_AUTH_TOKEN_NOT_FOUND``."""


class BadRequest(CometChatError):
    """``ERR_BAD_REQUEST`` and other 4xx the caller must fix; ``details`` maps field to messages."""


class RoleNotFound(BadRequest):
    """``ERR_ROLE_NOT_FOUND``: a ``role`` the app has not created (``default`` always exists)."""


class Unauthorized(CometChatError):
    """``AUTH_ERR_*``: the key or app id is missing or wrong."""


class NoAccess(Unauthorized):
    """``AUTH_ERR_NO_ACCESS``: the key's scope does not allow the operation (an authOnly key)."""


class RateLimited(CometChatError):
    """``ERR_TOO_MANY_REQUESTS`` (429) still standing when the deadline passed."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(CometChatError):
    """CometChat could not answer: 5xx, timeout, refused or dropped connection, or an odd body."""
