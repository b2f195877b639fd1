"""Security settings that cannot work stop the start instead of quietly weakening a defence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tests.support.auth_server import isolated_settings


def settings(**overrides: Any) -> None:
    isolated_settings(
        state_dir=Path("var"),
        database_url="sqlite+aiosqlite://",
        cometchat_api_base="x",
        **overrides,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"trusted_proxies": "10.0.0.0/8,not-a-network"},
        {"rate_limit_login_ip": "ten a minute"},
        {"password_min_length": 7},
        {"password_max_length": 63},
        {"password_max_length": 10_000},
        {"registration_mode": "secret"},
    ],
)
def test_impossible_values_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        settings(**overrides)


def test_trusted_proxies_come_comma_separated() -> None:
    settings(trusted_proxies="10.0.0.0/8, 192.0.2.1", rate_limit_login_ip="5 per 10 minutes")
