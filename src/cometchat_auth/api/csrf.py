"""CSRF protection for the cookie transport: an Origin check plus a double-submit token.

A browser attaches cookies to requests another site makes, so with cookies a state-changing
request must prove it comes from a page of ours: its ``Origin`` (or ``Referer``) must be ours or
on the CORS allowlist, and when it carries a session cookie it must echo the ``cca_csrf`` cookie
(readable only by scripts of our origin) in the ``X-CSRF-Token`` header. That token is the
session's own (``token_for``), so planting the cookie is not enough.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cometchat_auth.api.errors import CSRF_FAILED

HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def cookie_name(*, secure: bool) -> str:
    # __Host- keeps a sibling subdomain from planting its own token (HTTPS only).
    return "__Host-cca_csrf" if secure else "cca_csrf"


def token_for(key: bytes, refresh_token: str) -> str:
    """The CSRF token of one session: an HMAC of its refresh token under the server's key.

    Bound to the session, so a cookie planted by a sibling subdomain or a local page (with the
    matching header) is refused, and a token of another session is worth nothing in this one.
    The refresh token rotates, and the token is issued anew with it.
    """
    digest = hmac.new(key, b"csrf\0" + refresh_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(response: Response, *, token: str, secure: bool, max_age: int) -> None:
    """The session's token in a cookie the page's script can read (not HttpOnly: the point)."""
    response.set_cookie(
        cookie_name(secure=secure),
        token,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )


def clear(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(secure=secure), path="/", secure=secure, httponly=False, samesite="strict"
    )


def _origin(connection: HTTPConnection) -> str | None:
    origin = connection.headers.get("origin")
    if origin is None and (referer := connection.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin


class CsrfProtection:
    """Refuse unsafe requests from foreign origins, and those with session cookies but no token."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        session_cookies: Iterable[str],
        refresh_cookie: str,
        key: bytes,
        secure: bool,
        allowed_origins: Iterable[str],
    ) -> None:
        self.app = app
        self.session_cookies = tuple(session_cookies)
        self.refresh_cookie = refresh_cookie
        self.key = key
        allowed = set(allowed_origins)
        self.any_origin = "*" in allowed  # local mode only (settings refuse it in production)
        self.allowed = allowed

    def _same_site(self, origin: str, connection: HTTPConnection) -> bool:
        # Our own origin as the browser sees it; a TLS-terminating proxy hides the scheme.
        host = connection.headers.get("host", "")
        return (
            self.any_origin
            or origin in self.allowed
            or origin
            in (
                f"https://{host}",
                f"http://{host}",
            )
        )

    def _allowed(self, connection: HTTPConnection) -> bool:
        origin = _origin(connection)
        if origin is not None and not self._same_site(origin, connection):
            return False
        cookies = connection.cookies
        if not any(name in cookies for name in self.session_cookies):
            return True  # no ambient credentials to abuse (sign-in itself is guarded by Origin)
        # The session's own token, not whatever the CSRF cookie says: cookies can be planted.
        refresh = cookies.get(self.refresh_cookie)
        expected = token_for(self.key, refresh) if refresh else ""
        sent = connection.headers.get(HEADER, "")
        return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        unsafe = scope["type"] == "http" and scope["method"] not in SAFE_METHODS
        if unsafe and not self._allowed(HTTPConnection(scope)):
            await CSRF_FAILED.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)
