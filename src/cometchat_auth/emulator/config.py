"""What an emulator serves: its apps and keys, limits and injected faults."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class AppKeys:
    """One CometChat app: its id, its fullAccess REST API key and its authOnly auth key."""

    app_id: str
    rest_api_key: str = field(repr=False)
    auth_key: str = field(repr=False)


@dataclass
class Faults:
    """Trouble to inject into REST answers, so clients can be tested against a bad day.

    Rates are shares of requests (0.0 to 1.0); ``seed`` makes the draws repeatable.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None


@dataclass
class EmulatorConfig:
    """Everything ``create_app`` needs; ``state_file`` keeps users and tokens across restarts."""

    apps: list[AppKeys]
    region: str = "us"
    rate_limit_per_minute: int = 10_000
    faults: Faults = field(default_factory=Faults)
    state_file: Path | None = None

    @classmethod
    def generate(cls, app_id: str = "local-app", region: str = "us") -> EmulatorConfig:
        """One app with fresh random keys, for a local run."""
        keys = AppKeys(app_id, secrets.token_hex(20), secrets.token_hex(20))
        return cls(apps=[keys], region=region)
