"""``doctor``'s checks of the settings alone: keys, URLs and origins, argon2 costs and time."""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from cometchat_auth.accounts.passwords import meets_owasp_floor
from cometchat_auth.api.hosts import LOOPBACK_HOSTS, allowed_names, host_matcher
from cometchat_auth.ops.calibrate import Costs, measure
from cometchat_auth.ops.findings import Finding, failed, passed, warned
from cometchat_auth.settings import MIN_SECRET_BYTES, Settings

#: One hash slower than this makes sign-ins queue on a busy server.
SLOW_HASH = 0.5


def keys(settings: Settings) -> list[Finding]:
    """SECRET_KEY long enough to sign tokens; every TOKEN_ENCRYPTION_KEYS entry a Fernet key."""
    found = []
    if settings.secret_key is None:
        found.append(
            passed("SECRET_KEY", "generated and kept in STATE_DIR (local mode)")
            if settings.local
            else failed(
                "SECRET_KEY",
                "not set",
                "set SECRET_KEY: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
            )
        )
    else:
        size = len(settings.secret_key.get_secret_value().encode())
        found.append(
            passed("SECRET_KEY", f"{size} bytes")
            if size >= MIN_SECRET_BYTES
            else failed(
                "SECRET_KEY",
                f"{size} bytes, fewer than {MIN_SECRET_BYTES}: tokens can be forged offline",
                _SIGNING_KEY_FIX,
            )
        )
    if not settings.token_encryption_keys:
        found.append(
            passed("TOKEN_ENCRYPTION_KEYS", "generated and kept in STATE_DIR (local mode)")
            if settings.local
            else failed("TOKEN_ENCRYPTION_KEYS", "not set", _FERNET_FIX)
        )
    else:
        bad = [
            n
            for n, key in enumerate(settings.token_encryption_keys, 1)
            if not _is_fernet(key.get_secret_value())
        ]
        found.append(
            failed(
                "TOKEN_ENCRYPTION_KEYS",
                f"key {', '.join(map(str, bad))} is not a Fernet key",
                _FERNET_FIX,
            )
            if bad
            else passed(
                "TOKEN_ENCRYPTION_KEYS", f"{len(settings.token_encryption_keys)} Fernet key(s)"
            )
        )
    return found


_SIGNING_KEY_FIX = (
    "set a SECRET_KEY of 32 bytes or more: "
    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
)
_FERNET_FIX = (
    "put a Fernet key first: python -c "
    "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _is_fernet(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` if ``url`` is exactly an origin, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or parts.username:
        return None
    return url


def urls(settings: Settings) -> list[Finding]:
    """PUBLIC_URL and CORS_ORIGINS: well formed, HTTPS in production, no wildcard there."""
    found = []
    public = settings.public_url
    if public is None:
        found.append(
            passed("PUBLIC_URL", "unset: mail links use the address served (local mode)")
            if settings.local
            else failed(
                "PUBLIC_URL",
                "not set: mail links have nowhere to point",
                "set PUBLIC_URL=https://your.site",
            )
        )
    elif urlsplit(public).scheme not in ("http", "https") or not urlsplit(public).hostname:
        found.append(
            failed(
                "PUBLIC_URL",
                f"{public!r} is not an http(s) URL",
                "set PUBLIC_URL=https://your.site",
            )
        )
    elif not settings.local and urlsplit(public).scheme != "https":
        found.append(
            failed(
                "PUBLIC_URL",
                "plain http in production: reset links travel in clear",
                "use an https:// PUBLIC_URL",
            )
        )
    else:
        found.append(passed("PUBLIC_URL", public))
    origins = settings.cors_origins
    if "*" in origins:
        found.append(
            warned(
                "CORS_ORIGINS", "'*' (every origin)", "list your sites' origins before going live"
            )
            if settings.local
            else failed(
                "CORS_ORIGINS",
                "'*' in production",
                "list your sites' origins, e.g. https://app.example",
            )
        )
    elif not origins:
        found.append(
            passed("CORS_ORIGINS", "none: only same-origin pages may call the API")
            if settings.local
            else failed("CORS_ORIGINS", "empty in production", "list the origins of your web apps")
        )
    else:
        odd = [origin for origin in origins if _origin(origin) is None]
        plain = [origin for origin in origins if origin.startswith("http://")]
        if odd:
            found.append(
                failed(
                    "CORS_ORIGINS",
                    f"not origins: {', '.join(odd)}",
                    "give scheme://host[:port] only, no path or trailing slash",
                )
            )
        elif plain and not settings.local:
            found.append(
                warned(
                    "CORS_ORIGINS",
                    f"plain http: {', '.join(plain)}",
                    "serve those sites over https",
                )
            )
        else:
            found.append(passed("CORS_ORIGINS", ", ".join(origins)))
    found.append(_hosts(settings))
    if public and origins and "*" not in origins and not settings.local:
        site = f"{urlsplit(public).scheme}://{urlsplit(public).netloc}"
        if site not in origins:
            found.append(
                warned(
                    "PUBLIC_URL and CORS_ORIGINS",
                    f"{site} is not among CORS_ORIGINS",
                    f"add {site} to CORS_ORIGINS if pages there call the API",
                )
            )
    return found


def _hosts(settings: Settings) -> Finding:
    """ALLOWED_HOSTS: set in production, and naming PUBLIC_URL's host, or its own links get 400."""
    names = allowed_names(settings)
    if not settings.allowed_hosts:
        return (
            passed("ALLOWED_HOSTS", f"unset: {', '.join(LOOPBACK_HOSTS)} (local mode)")
            if settings.local
            else failed(
                "ALLOWED_HOSTS", "not set", "list the names clients use, e.g. auth.example.com"
            )
        )
    public = urlsplit(settings.public_url).netloc if settings.public_url else None
    if public and not host_matcher(names)(public):
        return failed(
            "ALLOWED_HOSTS",
            f"PUBLIC_URL's host {public} is not among {', '.join(names)}: its links get 400",
            f"add {urlsplit(settings.public_url or '').hostname} to ALLOWED_HOSTS",
        )
    return passed("ALLOWED_HOSTS", ", ".join(names))


def argon2(settings: Settings) -> list[Finding]:
    """The costs against OWASP's floor, and how long one hash takes here."""
    costs = Costs(
        settings.argon2_memory_cost, settings.argon2_time_cost, settings.argon2_parallelism
    )
    found = []
    name = f"argon2id m={costs.memory_cost} KiB t={costs.time_cost} p={costs.parallelism}"
    if not meets_owasp_floor(costs.memory_cost, costs.time_cost):
        found.append(
            (warned if settings.local else failed)(
                "argon2 costs",
                f"{name} is below OWASP's floor",
                "run `cometchat-auth calibrate` and use what it prints",
            )
        )
    seconds = measure(costs, rounds=1)
    detail = f"{name}: one hash takes {seconds * 1000:.0f} ms here"
    found.append(
        warned("argon2 time", detail, "run `cometchat-auth calibrate` for costs that fit 250 ms")
        if seconds > SLOW_HASH
        else passed("argon2 time", detail)
    )
    return found
