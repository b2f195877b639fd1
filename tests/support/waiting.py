"""Waiting for what a server does after its answer (an outbox job, a mail, a saved file)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


def eventually(check: Callable[[], T], *, within: float = 15, every: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy, and return that; fail, never hang."""
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, f"gave up waiting after {within} s"
        time.sleep(every)
    return result


@overload
async def eventually_async(
    check: Callable[[], Awaitable[T]], *, within: float = ..., every: float = ...
) -> T: ...
@overload
async def eventually_async(
    check: Callable[[], T], *, within: float = ..., every: float = ...
) -> T: ...
async def eventually_async(
    check: Callable[[], Any], *, within: float = 20, every: float = 0.02
) -> Any:
    """``eventually`` in the event loop; ``check`` may be a coroutine function or a plain one."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(every)
