"""One emulator's moving parts, shared by its routes through ``request.app.state.emulator``."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Callable
from dataclasses import replace

from starlette.requests import Request
from starlette.types import Scope

from .config import AppKeys, EmulatorConfig, Faults
from .errors import ApiError
from .limiter import FixedWindow
from .state import AppState, Store

#: Changes are written to the state file at most this often (seconds).
SAVE_DELAY = 0.2


class Emulator:
    """Config, state, rate limiter and faults of one emulator app object."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.apps = {keys.app_id: keys for keys in config.apps}
        self.store = Store(list(self.apps), clock, config.state_file)
        self.limiter = FixedWindow(config.rate_limit_per_minute, clock)
        self.jwt_secret = secrets.token_bytes(32)
        self.set_faults(config.faults)
        self._save_handle: asyncio.TimerHandle | None = None

    def set_faults(self, faults: Faults) -> None:
        self.faults = replace(faults)
        self.random = random.Random(faults.seed)  # noqa: S311 - fault draws, not secrets

    def app_id_hint(self, request: Request) -> str | None:
        """The app a request means, from the ``appId`` header or a ``{appId}.api-…`` host."""
        header = request.headers.get("appid")
        if header:
            return header
        if request.url.path.startswith("/v2.0"):
            return None  # v2.0 hosts carry no app id: the header is the only way
        label, _, rest = request.headers.get("host", "").partition(".")
        if rest.startswith(("api-", "apiclient-")):
            return label
        if len(self.apps) == 1:
            return next(iter(self.apps))
        return None

    def app_for(self, request: Request) -> tuple[AppKeys, AppState]:
        app_id = self.app_id_hint(request)
        if not app_id:
            raise ApiError(401, "AUTH_ERR_EMPTY_APPID", "The appId is empty in the headers.")
        keys = self.apps.get(app_id)
        if keys is None:
            raise ApiError(
                401,
                "AUTH_ERR_INVALID_APPID",
                "The appId is invalid or does not exist in this region.",
            )
        return keys, self.store.apps[app_id]

    def changed(self) -> None:
        """Note a change; the state file is written shortly after (many changes, one write)."""
        if self.store.path is None or self._save_handle is not None:
            return
        self._save_handle = asyncio.get_running_loop().call_later(SAVE_DELAY, self._save)

    def _save(self) -> None:
        self._save_handle = None
        self.store.save()

    def close(self) -> None:
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        self.store.save()


def emulator_of(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


def is_rest_call(scope: Scope) -> bool:
    """Faults and the rate limit touch CometChat's API only: not admin routes, not preflights."""
    return (
        scope["type"] == "http"
        and scope["method"] != "OPTIONS"
        and not scope["path"].startswith("/_emulator")
    )
