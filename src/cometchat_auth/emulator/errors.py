"""CometChat's error envelope, raised from anywhere in a request and answered in one place."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """An answer in CometChat's envelope: ``{"error": {message, devMessage, source, code}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        dev_message: str | None = None,
        details: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.dev_message = dev_message or message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "devMessage": self.dev_message,
            "source": "chat-api",
            "code": self.code,
        }
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


def bad_request(details: dict[str, list[str]] | None = None) -> ApiError:
    text = "Failed to validate the data sent with the request."
    return ApiError(400, "ERR_BAD_REQUEST", text, details=details)


def not_found_route() -> ApiError:
    text = "The requested API endpoint or method does not exist."
    return ApiError(404, "ERR_API_NOT_FOUND", text)


def uid_not_found(uid: str) -> ApiError:
    return ApiError(
        404,
        "ERR_UID_NOT_FOUND",
        f"The UID {uid} does not exist, please make sure you have created a user with UID {uid}.",
        f"The UID {uid} does not exist, so please make sure you have created a user with"
        f" UID {uid}.",
    )


def uid_exists(uid: str) -> ApiError:
    return ApiError(
        409,
        "ERR_UID_ALREADY_EXISTS",
        f"The UID {uid} already exists, please use a different UID.",
    )


def token_not_found(uid: str) -> ApiError:
    # The token itself is a secret: it stays out of the message.
    return ApiError(
        404,
        "ERR_AUTH_TOKEN_NOT_FOUND",
        f"The auth token for UID {uid} does not exist.",
    )


def role_not_found(role: str) -> ApiError:
    # [GUESS] the status: the error guide names the code only.
    return ApiError(404, "ERR_ROLE_NOT_FOUND", f"The role {role} does not exist.")


def invalid_api_version(version: str) -> ApiError:
    # [GUESS] the status: the error guide names the code only ("invalid API version").
    return ApiError(400, "ERR_INVALID_API_VERSION", f"The API version {version} is invalid.")
