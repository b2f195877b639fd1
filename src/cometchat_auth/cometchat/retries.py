"""When to try a call again, and how long to wait first."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import httpx

#: Transport failures that prove the request never reached CometChat, so even a POST may be resent.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset")


def backoff(attempt: int, *, base: float, cap: float, jitter: float) -> float:
    """Full-jitter exponential back-off after attempt ``attempt``; ``jitter`` is uniform in [0, 1).

    Full jitter spreads clients that failed together, so they do not retry together.
    """
    return jitter * min(cap, base * 2.0 ** (attempt - 1))


def retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or date), else a reset time.

    ``now`` is the wall-clock Unix time. Both spellings of the reset header are in CometChat's docs.
    """
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in _RESET_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) - now)
        except ValueError:
            continue
    return None
