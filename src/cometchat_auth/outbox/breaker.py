"""One circuit breaker per process around CometChat calls (purgatory's closed/open/half-open).

While CometChat fails, calls fail fast with ``CircuitOpen`` instead of each waiting out the
client's retries; after ``reset_after`` seconds one call at a time probes whether it is back.
Only outages count (5xx, 429, timeouts, lost connections): a 404 is CometChat answering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.messages.events import ContextChanged
from purgatory.domain.model import OpenedState

from cometchat_auth.cometchat import RateLimited, Unavailable

T = TypeVar("T")

CIRCUIT = "cometchat"
#: Seconds a client is told to wait when CometChat gave no hint of its own.
DEFAULT_RETRY_AFTER = 5.0


class CircuitOpen(Unavailable):
    """CometChat failed too often just now: not called at all until ``retry_after`` passes."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("CometChat is failing; calls are paused", status=503)
        self.retry_after = retry_after


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, Unavailable | RateLimited | TimeoutError)


def retry_after(exc: BaseException | None) -> int:
    """Whole seconds (at least 1) to tell a client to wait after ``exc`` (or an unknown trouble)."""
    seconds = getattr(exc, "retry_after", None) or DEFAULT_RETRY_AFTER
    return max(1, round(seconds))


class CircuitBreaker:
    def __init__(self, *, threshold: int = 5, reset_after: float = 10.0, deadline: float) -> None:
        self.reset_after = reset_after
        self.deadline = deadline
        self._circuits = AsyncCircuitBreakerFactory(
            default_threshold=threshold,
            default_ttl=reset_after,
            # Anything but an outage leaves the count alone (and closes a half-open circuit).
            exclude=[(BaseException, lambda exc: not is_outage(exc))],
        )

    async def call(
        self, operation: Callable[[], Awaitable[T]], *, within: float | None = None
    ) -> T:
        """Run ``operation`` within the deadline (or less), else raise ``CircuitOpen`` at once."""
        circuit = await self._circuits.get_breaker(CIRCUIT)
        try:
            async with circuit:
                try:
                    budget = self.deadline if within is None else min(within, self.deadline)
                    async with asyncio.timeout(budget):
                        return await operation()
                except TimeoutError:
                    raise Unavailable("CometChat did not answer within the deadline") from None
        except OpenedState as opened:
            raise CircuitOpen(opened.opened_at + self.reset_after - time.time()) from None

    def watch(self, listener: Callable[[str], None]) -> None:
        """Tell ``listener`` each new state: ``closed``, ``opened`` or ``half-opened``."""

        def hook(name: str, event_name: str, event: object) -> None:
            if isinstance(event, ContextChanged):
                listener(event.state)

        self._circuits.add_listener(hook)

    async def state(self) -> str:
        """``closed``, ``opened`` or ``half-opened``."""
        return (await self._circuits.get_breaker(CIRCUIT)).context.state
