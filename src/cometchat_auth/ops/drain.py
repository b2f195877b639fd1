"""Wait, with a progress bar, while this process's outbox worker runs queued CometChat jobs.

The worker honours CometChat's 429s (Retry-After) and its circuit breaker; what is left when
waiting stops stays queued for the server's own worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select

from cometchat_auth.outbox.models import PENDING, JobRow
from cometchat_auth.services import Services


async def pending(services: Services, kinds: Collection[str]) -> int:
    async with services.database.sessionmaker() as db:
        count = await db.scalar(
            select(func.count()).where(JobRow.kind.in_(kinds), JobRow.status == PENDING)
        )
    return count or 0


async def drain(
    services: Services,
    kinds: Collection[str],
    console: Console,
    *,
    label: str = "CometChat users",
    stall: float = 30.0,
    poll: float = 0.5,
) -> int:
    """Run the outbox until no job of ``kinds`` is pending, or none finished for ``stall`` s;
    the number still pending."""
    total = left = await pending(services, kinds)
    if not total:
        return 0
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    loop = asyncio.get_running_loop()
    started = last_change = loop.time()
    async with services.outbox.running():
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("create", total=total, rate="")
            while left and loop.time() - last_change < stall:
                await asyncio.sleep(poll)
                now_left = await pending(services, kinds)
                if now_left != left:
                    left, last_change = now_left, loop.time()
                done = total - left
                rate = done / max(loop.time() - started, 1e-6)
                progress.update(task, completed=done, rate=f"{rate:.0f}/s")
    return left
