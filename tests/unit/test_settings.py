"""Settings: URL and list parsing, production refusals, local secrets kept across restarts."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from tests.support.auth_server import IsolatedSettings

from cometchat_auth.settings import SettingsError, prepare

CREDENTIALS: dict[str, Any] = {"cometchat_app_id": "app", "cometchat_rest_api_key": "key"}
LOCAL: dict[str, Any] = {"secret_key": "s" * 32, "token_encryption_keys": "k", **CREDENTIALS}


def test_postgres_urls_get_the_async_driver_and_lists_split_on_commas() -> None:
    settings = IsolatedSettings(
        database_url="postgresql://u@h/db", cors_origins="https://a.example, https://b.example"
    )
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert IsolatedSettings(database_url="postgres://u@h/db").database_url.startswith(
        "postgresql+asyncpg://"
    )


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cometchat_auth.settings import Settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("COMETCHAT_REGION=eu\nSESSION_TRANSPORT=cookie\n")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example")
    settings = Settings()
    assert (settings.cometchat_region, settings.session_transport) == ("eu", "cookie")
    assert settings.cors_origins == ["https://a.example"]


def test_session_max_age_has_a_hard_maximum() -> None:
    with pytest.raises(ValidationError):
        IsolatedSettings(session_max_age=91 * 24 * 3600)


def test_production_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(
        SettingsError, match=r"SECRET_KEY.*TOKEN_ENCRYPTION_KEYS.*CORS_ORIGINS.*ALLOWED_HOSTS"
    ):
        prepare(IsolatedSettings(app_env="production", **CREDENTIALS))
    with pytest.raises(SettingsError, match="only in local mode"):
        prepare(
            IsolatedSettings(
                app_env="production",
                secret_key="s",
                token_encryption_keys="k",
                cors_origins="*",
                allowed_hosts="auth.example",
                **CREDENTIALS,
            )
        )


PRODUCTION = {
    "app_env": "production",
    "allowed_hosts": "auth.example",
    "secret_key": "s" * 32,
    "token_encryption_keys": "k",
    "cors_origins": "https://app.example",
    "public_url": "https://auth.example",
    **CREDENTIALS,
}


def test_production_starts_with_its_settings() -> None:
    assert prepare(IsolatedSettings(**PRODUCTION)).public_url == "https://auth.example"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"public_url": None}, "PUBLIC_URL"),
        ({"public_url": "http://auth.example"}, "https:// PUBLIC_URL"),
        ({"secret_key": "s" * 31}, "at least 32 bytes"),
        ({"allowed_hosts": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_plain_links_and_a_short_secret_key(
    change: dict[str, str | None], refusal: str
) -> None:
    with pytest.raises(SettingsError, match=refusal):
        prepare(IsolatedSettings(**{**PRODUCTION, **change}))


def test_local_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    first = prepare(IsolatedSettings(state_dir=tmp_path, **CREDENTIALS))
    second = prepare(IsolatedSettings(state_dir=tmp_path, **CREDENTIALS))
    assert isinstance(first.secret_key, SecretStr)
    assert first.secret_key == second.secret_key
    assert first.token_encryption_keys == second.token_encryption_keys
    mode = (tmp_path / "server-secrets.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_no_cometchat_credentials_is_an_error_for_the_app() -> None:
    with pytest.raises(SettingsError, match="COMETCHAT_APP_ID"):
        prepare(IsolatedSettings(secret_key="s", token_encryption_keys="k"))


def test_local_mode_allows_loopback_host_names_only() -> None:
    # /dev/mail and the generated secrets are for this machine: a public name is a mistake.
    with pytest.raises(SettingsError, match="ALLOWED_HOSTS"):
        prepare(IsolatedSettings(allowed_hosts="auth.example", **LOCAL))
    local = prepare(IsolatedSettings(allowed_hosts="localhost,::1", **LOCAL))
    assert local.allowed_hosts == ["localhost", "::1"]
