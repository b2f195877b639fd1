"""``doctor``'s checks of what the server talks to: CometChat, the database, Redis, SMTP.

Each makes one harmless call with a short timeout and names what failed, never a secret: URLs
are shown without their passwords, CometChat's answers by code only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosmtplib
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from redis.asyncio import Redis
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from cometchat_auth.cometchat import (
    CometChatClient,
    CometChatError,
    NoAccess,
    Unauthorized,
    Unavailable,
)
from cometchat_auth.mail import SmtpSender
from cometchat_auth.ops.findings import Finding, failed, passed, warned
from cometchat_auth.services import mailer
from cometchat_auth.settings import Settings
from cometchat_auth.store.db import MIGRATIONS, create_engine

TIMEOUT = 5.0
_KEY_FIX = (
    "copy the REST API key (fullAccess) from CometChat's dashboard into COMETCHAT_REST_API_KEY"
)


async def cometchat(settings: Settings) -> list[Finding]:
    """List one user: it needs a valid key with fullAccess scope at a reachable API base."""
    if not settings.has_cometchat_credentials:
        if settings.local:
            return [passed("CometChat", "no credentials: serve runs the local emulator")]
        return [failed("CometChat", "no COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY", _KEY_FIX)]
    assert settings.cometchat_app_id
    assert settings.cometchat_rest_api_key
    client = CometChatClient(
        settings.cometchat_app_id,
        settings.cometchat_rest_api_key.get_secret_value(),
        region=settings.cometchat_region,
        base_url=settings.cometchat_api_base,
        timeout=TIMEOUT,
        deadline=TIMEOUT * 2,
        max_attempts=2,
    )
    where = client.base_url
    try:
        async with client:
            async for _ in client.list_users(per_page=1):
                break
    except Unavailable as exc:
        return [
            failed(
                "CometChat reachable",
                f"{where} did not answer ({exc.code or type(exc).__name__})",
                "check COMETCHAT_APP_ID, COMETCHAT_REGION (or COMETCHAT_API_BASE) and the network",
            )
        ]
    except NoAccess:
        return [
            passed("CometChat reachable", where),
            failed(
                "CometChat key scope",
                "the key is authOnly (the Auth Key): it cannot update or delete users",
                "use the REST API key with fullAccess scope, not the Auth Key",
            ),
        ]
    except Unauthorized as exc:
        return [
            passed("CometChat reachable", where),
            failed("CometChat REST key", f"CometChat refused the key ({exc.code})", _KEY_FIX),
        ]
    except CometChatError as exc:
        return [
            failed(
                "CometChat",
                f"{where} answered {exc.code or exc.status}",
                "check COMETCHAT_APP_ID and COMETCHAT_REGION against the dashboard",
            )
        ]
    return [
        passed("CometChat reachable", where),
        passed("CometChat REST key", "valid, fullAccess scope"),
    ]


def _current_and_head(connection: Connection) -> tuple[str | None, str | None]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    return MigrationContext.configure(connection).get_current_revision(), head


def _missing_sqlite_file(backend: str, database: str | None) -> bool:
    """A SQLite file not made yet: connecting would create it, and doctor changes nothing."""
    return (
        backend == "sqlite"
        and database not in (None, "", ":memory:")
        and not Path(database).exists()
    )


async def database(settings: Settings) -> list[Finding]:
    """Reachable, and migrated to the code's newest revision."""
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    fix = "serve migrates at start; or run `cometchat-auth migrate`"
    if _missing_sqlite_file(url.get_backend_name(), url.database):
        return [warned("Database", f"{shown} does not exist yet", fix)]
    engine = create_engine(settings.database_url)
    try:
        async with asyncio.timeout(TIMEOUT * 2), engine.connect() as connection:
            current, head = await connection.run_sync(_current_and_head)
    except Exception as exc:
        return [
            failed(
                "Database",
                f"cannot connect to {shown} ({type(exc).__name__})",
                "check DATABASE_URL and that the database server runs",
            )
        ]
    finally:
        await engine.dispose()
    if current == head:
        return [passed("Database", f"{shown}, migrations current ({head})")]
    return [warned("Database", f"at {current or 'no revision'}, the code is at {head}", fix)]


async def redis(settings: Settings) -> list[Finding]:
    """PING, when REDIS_URL is set; without it each process counts rate limits alone."""
    if not settings.redis_url:
        if settings.local:
            return [passed("Redis", "unset: rate limits counted in this process (local mode)")]
        return [
            warned(
                "Redis",
                "REDIS_URL unset: each server process counts rate limits on its own",
                "set REDIS_URL so every process shares the limits",
            )
        ]
    shown = (
        make_url(settings.redis_url.replace("redis://", "redis+x://", 1))
        .render_as_string(hide_password=True)
        .replace("redis+x://", "redis://", 1)
    )
    client: Redis = Redis.from_url(
        settings.redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
    )
    try:
        await client.ping()
    except Exception as exc:
        return [
            failed(
                "Redis",
                f"no answer from {shown} ({type(exc).__name__})",
                "check REDIS_URL and that Redis runs",
            )
        ]
    finally:
        await client.aclose()
    return [passed("Redis", f"{shown} answers PING")]


async def smtp(settings: Settings) -> list[Finding]:
    """Connect, EHLO, STARTTLS and log in, sending nothing."""
    sender = mailer(settings).sender
    if not isinstance(sender, SmtpSender):
        if settings.local:
            return [passed("SMTP", "unset: mails go to STATE_DIR/mail and /dev/mail (local mode)")]
        return [
            failed(
                "SMTP",
                "SMTP_HOST unset: verification and reset mails reach nobody",
                "set SMTP_HOST, SMTP_PORT, SMTP_USERNAME and SMTP_PASSWORD",
            )
        ]
    where = f"{sender.host}:{sender.port}"
    try:
        await sender.probe()
    except aiosmtplib.SMTPResponseException as exc:
        return [
            failed(
                "SMTP",
                f"{where} refused: {exc.code} {exc.message[:120]}",
                "check SMTP_HOST, SMTP_PORT, SMTP_STARTTLS/SMTP_TLS and the login",
            )
        ]
    except (aiosmtplib.SMTPException, OSError) as exc:
        return [
            failed(
                "SMTP",
                f"{where}: {type(exc).__name__}",
                "check SMTP_HOST, SMTP_PORT and SMTP_STARTTLS/SMTP_TLS (465 is implicit TLS)",
            )
        ]
    steps = "connect, EHLO" + (
        ", STARTTLS" if settings.smtp_starttls and not settings.smtp_tls else ""
    )
    return [passed("SMTP", f"{where}: {steps} answered")]
