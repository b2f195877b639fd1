"""A fixed-window request counter per app.

Hand-written rather than `limits`, whose storages read the wall clock themselves: tests here
drive the window with an injected clock instead of sleeping through a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the current window ends


class FixedWindow:
    """At most ``limit`` hits per key in each ``window``-second slot of the clock."""

    def __init__(self, limit: int, clock: Callable[[], float], window: int = 60) -> None:
        self.limit = limit
        self.clock = clock
        self.window = window
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window start, hits)

    def hit(self, key: str) -> Verdict:
        now = int(self.clock())
        start = now - now % self.window
        with self._lock:
            began, hits = self._counts.get(key, (start, 0))
            if began != start:
                hits = 0
            allowed = hits < self.limit
            if allowed:
                hits += 1
            self._counts[key] = (start, hits)
        return Verdict(allowed, self.limit, self.limit - hits, start + self.window)
