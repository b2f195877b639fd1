"""Servers run as their own processes (the console script): wait until they answer."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.waiting import eventually


def wait_until_up(
    url: str,
    process: subprocess.Popen[Any],
    *,
    within: float = 30,
    output: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``url`` until it answers (below 500: ``/healthz`` says 200 once the server is ready);
    fail at once with ``output()`` (the process's log) if the process exits, never hang."""

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {output()[-2000:]}")
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.TransportError:
            return False

    eventually(answers, within=within)
