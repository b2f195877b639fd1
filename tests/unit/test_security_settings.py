"""Security settings that cannot work stop the start instead of quietly weakening a defence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tests.support.auth_server import isolated_settings

from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.app import create_app
from cometchat_auth.settings import Settings


def settings(**overrides: Any) -> Settings:
    return isolated_settings(
        state_dir=Path("var"),
        database_url="sqlite+aiosqlite://",
        cometchat_api_base="x",
        **overrides,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"rate_limit_login_ip": "ten a minute"},
        {"registration_mode": "secret"},
    ],
)
def test_impossible_values_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        settings(**overrides)


def test_trusted_proxies_come_comma_separated() -> None:
    settings(trusted_proxies="10.0.0.0/8, 192.0.2.1", rate_limit_login_ip="5 per 10 minutes")


def test_a_bad_trusted_proxy_stops_the_start() -> None:
    # Checked where the networks are used: a typo must not quietly trust nobody.
    with pytest.raises(ValueError, match="not-a-network"):
        create_app(settings(trusted_proxies="10.0.0.0/8,not-a-network"))


@pytest.mark.parametrize(
    "lengths",
    [{"min_length": 7}, {"max_length": 63}, {"max_length": 10_000}],
)
def test_impossible_password_bounds_are_refused(lengths: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="PASSWORD_M"):
        Passwords(**lengths)
