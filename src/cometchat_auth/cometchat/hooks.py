"""What the client tells its owner about each call, without knowing who listens.

The server installs hooks that add its request id to each call and count calls in its metrics;
the client stays free of both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallDone:
    """One call, retries included: ``outcome`` is ``ok`` or the final error's class name."""

    operation: str
    outcome: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Hooks:
    #: Headers added to each request (a request id, say); read as each attempt is sent.
    headers: Callable[[], Mapping[str, str]] | None = None
    #: Told of every call once it is over, success or failure.
    call_done: Callable[[CallDone], None] | None = None
