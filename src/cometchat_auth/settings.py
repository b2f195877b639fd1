"""One Settings object from the environment and ``.env``, passed explicitly to ``create_app``."""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

#: A session may be kept alive this long at most, whatever the settings say.
SESSION_MAX_AGE_LIMIT = 90 * 24 * 3600


class Settings(BaseSettings):
    """Every knob of the server; names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["local", "production"] = "local"
    app_name: str = "cometchat-auth"
    host: str = "127.0.0.1"
    port: int = 8000

    cometchat_app_id: str | None = None
    cometchat_region: str = "us"
    cometchat_rest_api_key: SecretStr | None = None
    cometchat_api_base: str | None = None
    cometchat_client_host: str | None = None
    cometchat_timeout: float = Field(5.0, gt=0)
    cometchat_deadline: float = Field(15.0, gt=0)

    database_url: str = "sqlite+aiosqlite:///var/cometchat-auth.db"
    redis_url: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = []

    secret_key: SecretStr | None = None
    token_encryption_keys: Annotated[list[SecretStr], NoDecode] = []

    session_transport: Literal["bearer", "cookie"] = "bearer"
    access_token_ttl: int = Field(900, gt=0)
    session_idle_timeout: int = Field(14 * 24 * 3600, gt=0)
    session_max_age: int = Field(30 * 24 * 3600, gt=0, le=SESSION_MAX_AGE_LIMIT)
    session_sweep_interval: float = Field(60.0, gt=0)
    refresh_reuse_grace: float = Field(5.0, ge=0)

    argon2_memory_cost: int = Field(19456, ge=8)
    argon2_time_cost: int = Field(2, ge=1)
    argon2_parallelism: int = Field(1, ge=1)

    max_body_bytes: int = Field(64 * 1024, gt=0)
    state_dir: Path = Path("var")
    emulator_port: int = 8787
    emulator_tls_port: int = 8788
    web_sdk_dir: Path = Path("var/web-sdk/node_modules/@cometchat/chat-sdk-javascript")

    @field_validator("cors_origins", "token_encryption_keys", mode="before")
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
    def has_cometchat_credentials(self) -> bool:
        return bool(self.cometchat_app_id and self.cometchat_rest_api_key)


class SettingsError(RuntimeError):
    """Settings that must not start a server (production without its secrets, say)."""


def prepare(settings: Settings) -> Settings:
    """Check the settings for the mode; fill local-mode secrets (kept in STATE_DIR)."""
    if not settings.local:
        missing = [
            name
            for name, ok in (
                ("SECRET_KEY", settings.secret_key),
                ("TOKEN_ENCRYPTION_KEYS", settings.token_encryption_keys),
                ("COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY", settings.has_cometchat_credentials),
                ("CORS_ORIGINS", settings.cors_origins),
            )
            if not ok
        ]
        if missing:
            raise SettingsError(f"production mode needs {', '.join(missing)}")
        if "*" in settings.cors_origins:
            raise SettingsError("CORS_ORIGINS='*' is allowed only in local mode")
        return settings
    if not settings.has_cometchat_credentials:
        raise SettingsError(
            "no COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY (serve starts the emulator)"
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
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {
        "secret_key": secrets.token_urlsafe(48),
        "token_encryption_key": Fernet.generate_key().decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(stored, file)
    log.info("generated local-mode secrets in %s", path)
    return stored
