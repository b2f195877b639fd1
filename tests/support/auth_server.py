"""Build Settings without the environment, and serve the auth server against an emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cometchat_auth.app import create_app
from cometchat_auth.settings import Settings
from tests.support.servers import serve

PASSWORD = "correct horse battery"
SECRET_KEY = "test-secret-key-that-signs-access-tokens"
ENCRYPTION_KEY = Fernet.generate_key().decode()


class IsolatedSettings(Settings):
    """Settings from keyword arguments only: nothing leaks in from the environment or ``.env``."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def isolated_settings(
    *, state_dir: Path, database_url: str, cometchat_api_base: str, **overrides: Any
) -> Settings:
    """Test settings: the emulator's test app, small argon2 costs, a short CometChat deadline."""
    values: dict[str, Any] = {
        "cometchat_app_id": "testapp",
        "cometchat_rest_api_key": "test-rest-key-0123456789",
        "cometchat_api_base": cometchat_api_base,
        "cometchat_timeout": 2.0,
        "cometchat_deadline": 3.0,
        "database_url": database_url,
        "state_dir": state_dir,
        "argon2_memory_cost": 64,
        "argon2_time_cost": 1,
        "cors_origins": ["http://app.example"],
        "allowed_hosts": ["127.0.0.1", "localhost", "::1"],
        "refresh_reuse_grace": 0,
        # Mails at once: on the shared PostgreSQL database a job still waiting when its server
        # stops would be sent by the next test's server (bench.forgot_followup runs the delay).
        "mail_delay_max": 0,
        "secret_key": SECRET_KEY,
        "token_encryption_keys": [ENCRYPTION_KEY],
    }
    values.update(overrides)
    return IsolatedSettings(**values)


@contextmanager
def serve_auth(settings: Settings) -> Iterator[str]:
    # As `cometchat-auth serve` does: only TRUSTED_PROXIES decide on X-Forwarded-For.
    with serve(create_app(settings), proxy_headers=False) as url:
        yield url


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def register(
    client: httpx.Client, *, email: str | None = None, name: str = "Ann Example"
) -> dict[str, Any]:
    """Register a fresh account; returns the answer's JSON (asserting it is 201)."""
    answer = client.post(
        "/auth/register", json={"email": email or new_email(), "password": PASSWORD, "name": name}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['accessToken']}"}
