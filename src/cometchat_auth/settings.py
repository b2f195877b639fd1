"""One Settings object from the environment and ``.env``, passed explicitly to ``create_app``.

Plain values only: it imports nothing else of ours. What a value means to a part (a password
bound, a proxy network) is checked by that part when the server is put together.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet
from limits import parse as parse_limit
from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

#: A session may be kept alive this long at most, whatever the settings say.
SESSION_MAX_AGE_LIMIT = 90 * 24 * 3600
#: The names a local-mode server answers to, as ALLOWED_HOSTS may spell them.
LOOPBACK_HOST_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: HS256 keys shorter than its 256-bit hash can be guessed offline from one access token.
MIN_SECRET_BYTES = 32


def _rate_limit(value: str) -> str:
    parse_limit(value)  # ValueError names the bad notation
    return value


#: A rate limit in ``limits`` notation: ``10/minute``, ``150/5minutes``, ``5 per hour``.
RateLimitText = Annotated[str, AfterValidator(_rate_limit)]


class Settings(BaseSettings):
    """Every knob of the server; names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["local", "production"] = "local"
    app_name: str = "cometchat-auth"
    host: str = "127.0.0.1"
    port: int = 8000
    #: Server processes; None: 1 in local mode, one per usable core in production.
    workers: int | None = Field(None, ge=1)
    #: Seconds a stopping server gives requests in flight before it cancels them.
    graceful_timeout: int = Field(10, ge=0)

    cometchat_app_id: str | None = None
    cometchat_region: str = "us"
    cometchat_rest_api_key: SecretStr | None = None
    cometchat_api_base: str | None = None
    cometchat_client_host: str | None = None
    #: Local mode: the emulator's plain HTTP root. The page's SDK then reaches the emulator
    #: through this server's own origin (no certificate); ``serve`` sets it.
    local_emulator_url: str | None = None
    cometchat_timeout: float = Field(5.0, gt=0)
    cometchat_deadline: float = Field(15.0, gt=0)
    # Outbox (CometChat jobs): back-off from base doubling up to cap; failed after max attempts.
    cometchat_breaker_threshold: int = Field(5, ge=1)
    cometchat_breaker_reset: float = Field(10.0, gt=0)
    outbox_concurrency: int = Field(8, ge=1)
    #: Seconds a claimed job is held without a heartbeat: a dead process's job is free after it.
    outbox_lease: float = Field(6.0, gt=0)
    outbox_max_attempts: int = Field(15, ge=1)
    outbox_backoff_base: float = Field(1.0, gt=0)
    outbox_backoff_cap: float = Field(300.0, gt=0)
    outbox_poll_interval: float = Field(1.0, gt=0)

    database_url: str = "sqlite+aiosqlite:///var/cometchat-auth.db"
    #: Seconds to connect, to wait for a pooled connection, and per statement: an unreachable or
    #: blackholed database gives a quick 503, never a hang.
    database_timeout: float = Field(5.0, gt=0)
    #: PostgreSQL connections each worker keeps open; a request beyond them waits for one (at
    #: most DATABASE_TIMEOUT). Workers times this must stay under the server's max_connections.
    database_pool_size: int = Field(15, ge=1)
    #: Seconds after which a mint's guard reconciles the user's CometChat tokens, unless the
    #: token was saved; by default twice COMETCHAT_DEADLINE plus DATABASE_TIMEOUT, plus 5.
    mint_guard_grace: float | None = Field(None, gt=0)
    redis_url: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = []
    #: The names in ``Host`` this server answers to (``auth.example.com``, ``*.example.com``);
    #: required in production; in local mode loopback names only, and those by default.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    #: Swagger UI at /docs and ReDoc at /redoc (they load scripts from a CDN); by default on in
    #: local mode only. /openapi.json is always served.
    docs_enabled: bool | None = None

    secret_key: SecretStr | None = None
    token_encryption_keys: Annotated[list[SecretStr], NoDecode] = []

    session_transport: Literal["bearer", "cookie"] = "bearer"
    access_token_ttl: int = Field(900, gt=0)
    #: Seconds an access token stays valid past its expiry: clock skew between servers.
    access_token_leeway: int = Field(30, ge=0, le=300)
    session_idle_timeout: int = Field(14 * 24 * 3600, gt=0)
    session_max_age: int = Field(30 * 24 * 3600, gt=0, le=SESSION_MAX_AGE_LIMIT)
    session_sweep_interval: float = Field(60.0, gt=0)
    #: Ended sessions are deleted this long after they end (the audit log keeps the history).
    session_retention: int = Field(30 * 24 * 3600, gt=0)
    refresh_reuse_grace: float = Field(5.0, ge=0)

    argon2_memory_cost: int = Field(19456, ge=8)
    argon2_time_cost: int = Field(2, ge=1)
    argon2_parallelism: int = Field(1, ge=1)

    # Security (see the README): limits in ``limits`` notation, counted per client IP and account.
    rate_limit_key_prefix: str = "cometchat-auth"
    rate_limit_login_ip: RateLimitText = "10/minute"
    rate_limit_login_account: RateLimitText = "10/minute"
    rate_limit_register_ip: RateLimitText = "20/minute"
    rate_limit_register_account: RateLimitText = "5/minute"
    rate_limit_refresh_ip: RateLimitText = "150/5minutes"
    rate_limit_refresh_account: RateLimitText = "30/5minutes"
    rate_limit_mint_ip: RateLimitText = "150/5minutes"
    rate_limit_mint_account: RateLimitText = "30/5minutes"
    rate_limit_reset_ip: RateLimitText = "20/minute"
    rate_limit_reset_account: RateLimitText = "5/minute"
    lockout_threshold: int = Field(5, ge=1)
    lockout_window: float = Field(300.0, gt=0)
    lockout_base_delay: float = Field(1.0, gt=0)
    lockout_max_delay: float = Field(900.0, gt=0)
    trusted_proxies: Annotated[list[str], NoDecode] = []
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    registration_mode: Literal["open", "private"] = "open"
    #: Bounds checked by ``accounts.passwords.Passwords`` (8 at least; 64 to 128).
    password_min_length: int = 8
    password_max_length: int = 128

    # Mail (see the README): SMTP when SMTP_HOST is set, else local mode's folder STATE_DIR/mail.
    smtp_host: str | None = None
    smtp_port: int = Field(587, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_timeout: float = Field(10.0, gt=0)
    mail_from: str = "no-reply@localhost"
    #: Where the links in mails point; from the settings, never from a request's Host header.
    public_url: str | None = None
    require_verified_email_for_chat: bool = False
    verify_token_ttl: float = Field(24 * 3600, gt=0)
    reset_token_ttl: float = Field(3600, gt=0)
    #: Mails of every kind to one address, together: no one can make us flood a mailbox.
    mail_limit_per_address: RateLimitText = "5/hour"
    #: A requested mail waits a random 10-100 % of this many seconds before it is sent: sending
    #: it must not slow the request that follows the answer (it would tell the address is known).
    mail_delay_max: float = Field(2.0, ge=0, le=60)

    # Operations (see the README): log format and level, Prometheus metrics.
    #: ``json`` (one object per line) or ``text``; unset, JSON in production and text in local mode.
    log_format: Literal["text", "json"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``/metrics``; unset, on in local mode and off in production.
    metrics_enabled: bool | None = None
    #: Serve metrics on this port only (not on the API's), e.g. for a private scrape network.
    metrics_port: int | None = Field(None, gt=0, lt=65536)
    metrics_host: str = "127.0.0.1"
    #: How often the outbox figures are read for a scrape on METRICS_PORT.
    metrics_interval: float = Field(15.0, gt=0)

    max_body_bytes: int = Field(64 * 1024, gt=0)
    state_dir: Path = Path("var")
    emulator_port: int = 8787
    emulator_tls_port: int = 8788
    web_sdk_dir: Path = Path("var/web-sdk/node_modules/@cometchat/chat-sdk-javascript")

    # Bring your own identity (see the README): the exchange is on when an issuer is set.
    #: Password accounts (register, login, the demo page); off leaves the exchange alone.
    accounts: bool = True
    oidc_issuer: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: Annotated[list[str], NoDecode] = ["RS256", "ES256", "EdDSA"]
    jwt_shared_secret: SecretStr | None = None
    jwt_leeway: int = Field(30, ge=0, le=300)
    jwt_max_bytes: int = Field(8192, ge=1024, le=65536)
    jwks_cache_ttl: float = Field(600.0, gt=0)
    jwks_refetch_interval: float = Field(30.0, gt=0)
    uid_claim: str = "sub"
    uid_prefix: str = ""
    name_claim: str = "name"
    avatar_claim: str = "picture"
    session_claim: str = "sid"
    logout_token_max_age: int = Field(300, gt=0, le=3600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "cors_origins",
        "token_encryption_keys",
        "trusted_proxies",
        "jwt_algorithms",
        "allowed_hosts",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        # Environment lists are comma-separated, like CORS_ORIGINS=https://a.example,https://b.example.
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Hosting platforms hand out postgres:// URLs; the server speaks asyncpg.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value.removeprefix(prefix)
        return value

    @property
    def local(self) -> bool:
        return self.app_env == "local"

    @property
    def docs_on(self) -> bool:
        return self.local if self.docs_enabled is None else self.docs_enabled

    @property
    def logs_as(self) -> Literal["text", "json"]:
        return self.log_format or ("text" if self.local else "json")

    @property
    def metrics_on(self) -> bool:
        return self.local if self.metrics_enabled is None else self.metrics_enabled

    @property
    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        # The cores this process may run on (taskset, cgroup cpusets), not all the machine has.
        return 1 if self.local else len(os.sched_getaffinity(0))

    @property
    def exchange(self) -> bool:
        """Whether tokens of an identity provider are exchanged (an issuer is set)."""
        return bool(self.oidc_issuer or self.jwt_issuer)

    @property
    def has_cometchat_credentials(self) -> bool:
        return bool(self.cometchat_app_id and self.cometchat_rest_api_key)


class SettingsError(RuntimeError):
    """Settings that must not start a server (production without its secrets, say)."""


def prepare(settings: Settings) -> Settings:
    """Check the settings for the mode; fill local-mode secrets (kept in STATE_DIR)."""
    if not settings.accounts and not settings.exchange:
        raise SettingsError("ACCOUNTS=off leaves nothing to serve: set OIDC_ISSUER or JWT_ISSUER")
    if not settings.local:
        missing = [
            name
            for name, ok in (
                ("SECRET_KEY", settings.secret_key),
                ("TOKEN_ENCRYPTION_KEYS", settings.token_encryption_keys),
                ("COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY", settings.has_cometchat_credentials),
                ("CORS_ORIGINS", settings.cors_origins),
                ("ALLOWED_HOSTS", settings.allowed_hosts),
            )
            if not ok
        ]
        if missing:
            raise SettingsError(f"production mode needs {', '.join(missing)}")
        if "*" in settings.cors_origins:
            raise SettingsError("CORS_ORIGINS='*' is allowed only in local mode")
        # Mails carry reset links: they must point at our own site, over TLS.
        if not (settings.public_url or "").startswith("https://"):
            raise SettingsError("production mode needs an https:// PUBLIC_URL (links in mails)")
        secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
        return settings
    if not settings.has_cometchat_credentials:
        raise SettingsError(
            "no COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY (serve starts the emulator)"
        )
    if foreign := [h for h in settings.allowed_hosts if h.lower() not in LOOPBACK_HOST_NAMES]:
        # Local mode shows every mail at /dev/mail and fills in its own secrets: this machine only.
        raise SettingsError(
            f"local mode answers loopback names only, not ALLOWED_HOSTS {', '.join(foreign)}: "
            "set APP_ENV=production (with its settings) to serve other names"
        )
    if settings.secret_key and settings.token_encryption_keys:
        return settings
    stored = _local_secrets(settings.state_dir / "server-secrets.json")
    return settings.model_copy(
        update={
            "secret_key": settings.secret_key or SecretStr(stored["secret_key"]),
            "token_encryption_keys": settings.token_encryption_keys
            or [SecretStr(stored["token_encryption_key"])],
        }
    )


def _local_secrets(path: Path) -> dict[str, str]:
    """Read, or create once with mode 0600, the generated secrets of local mode."""
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored = {
        "secret_key": secrets.token_urlsafe(48),
        "token_encryption_key": Fernet.generate_key().decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(stored, file)
    log.info("generated local-mode secrets in %s", path)
    return stored
