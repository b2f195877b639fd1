"""How session tokens travel: bearer (JSON, ``Authorization``) or cookies."""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from cometchat_auth.api import csrf
from cometchat_auth.settings import Settings


class Transport(Protocol):
    #: Whether the JSON answer carries the access and refresh tokens.
    tokens_in_body: bool

    def access_token(self, request: Request) -> str | None: ...

    def refresh_token(self, request: Request, from_body: str | None) -> str | None: ...

    def issue(self, response: Response, access_token: str, refresh_token: str) -> None: ...

    def clear(self, response: Response) -> None: ...


class BearerTransport:
    tokens_in_body = True

    def access_token(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def refresh_token(self, request: Request, from_body: str | None) -> str | None:
        return from_body

    def issue(self, response: Response, access_token: str, refresh_token: str) -> None:
        pass  # the tokens are in the JSON answer

    def clear(self, response: Response) -> None:
        pass  # the client forgets its tokens; the server already ended the session


class CookieTransport:
    """HttpOnly, SameSite=Strict cookies; ``__Host-`` and Secure outside local mode.

    Each sign-in also sets the CSRF cookie that ``api.csrf.CsrfProtection`` checks.
    """

    tokens_in_body = False

    def __init__(
        self, *, secure: bool, access_max_age: int, refresh_max_age: int, csrf_key: bytes
    ) -> None:
        prefix = "__Host-" if secure else ""
        self.access_name = f"{prefix}cca_access"
        self.refresh_name = f"{prefix}cca_refresh"
        self._secure = secure
        self._access_max_age = access_max_age
        self._refresh_max_age = refresh_max_age
        self.csrf_key = csrf_key

    def access_token(self, request: Request) -> str | None:
        return request.cookies.get(self.access_name)

    def refresh_token(self, request: Request, from_body: str | None) -> str | None:
        return request.cookies.get(self.refresh_name)

    def issue(self, response: Response, access_token: str, refresh_token: str) -> None:
        for name, value, max_age in (
            (self.access_name, access_token, self._access_max_age),
            (self.refresh_name, refresh_token, self._refresh_max_age),
        ):
            response.set_cookie(
                name,
                value,
                max_age=max_age,
                path="/",
                secure=self._secure,
                httponly=True,
                samesite="strict",
            )
        token = csrf.token_for(self.csrf_key, refresh_token)
        csrf.issue(response, token=token, secure=self._secure, max_age=self._refresh_max_age)

    def clear(self, response: Response) -> None:
        for name in (self.access_name, self.refresh_name):
            response.delete_cookie(
                name, path="/", secure=self._secure, httponly=True, samesite="strict"
            )
        csrf.clear(response, secure=self._secure)
        # Storage too: what the page (and the CometChat SDK) kept of the session goes with it.
        response.headers["Clear-Site-Data"] = '"cookies", "storage"'


def transport_for(settings: Settings) -> Transport:
    if settings.session_transport == "cookie":
        if settings.secret_key is None:
            raise ValueError("prepare(settings) first: CSRF tokens are keyed with SECRET_KEY")
        return CookieTransport(
            secure=not settings.local,
            access_max_age=settings.access_token_ttl,
            refresh_max_age=settings.session_max_age,
            csrf_key=settings.secret_key.get_secret_value().encode(),
        )
    return BearerTransport()
