"""Cookie attributes outside local mode, where a browser sees them."""

from __future__ import annotations

from starlette.responses import Response

from cometchat_auth.api.transports import CookieTransport


def cookies_of(response: Response) -> list[str]:
    return [value.decode().lower() for name, value in response.raw_headers if name == b"set-cookie"]


def test_production_cookies_are_secure_http_only_with_the_host_prefix() -> None:
    transport = CookieTransport(
        secure=True, access_max_age=900, refresh_max_age=3600, csrf_key=b"k"
    )
    response = Response()
    transport.issue(response, "access", "refresh")
    headers = cookies_of(response)
    names = {h.split("=", 1)[0] for h in headers}
    assert names == {"__host-cca_access", "__host-cca_refresh", "__host-cca_csrf"}
    for header in headers:
        for attribute in ("secure", "path=/", "samesite=strict"):
            assert attribute in header
        assert "domain" not in header  # __Host- forbids a Domain attribute
        # Only the CSRF token is for the page's script to read (and echo in X-CSRF-Token).
        assert ("httponly" in header) != header.startswith("__host-cca_csrf")


def test_clearing_expires_the_cookies_and_asks_the_browser_to_drop_them() -> None:
    transport = CookieTransport(
        secure=True, access_max_age=900, refresh_max_age=3600, csrf_key=b"k"
    )
    response = Response()
    transport.clear(response)
    headers = cookies_of(response)
    assert len(headers) == 3
    assert all("max-age=0" in h for h in headers)
    assert response.headers["clear-site-data"] == '"cookies", "storage"'
