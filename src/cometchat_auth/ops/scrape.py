"""A scrape of ``/metrics``: the outbox's backlog read, then every metric's text."""

from __future__ import annotations

import asyncio
import logging

from cometchat_auth.ops import metrics
from cometchat_auth.outbox import Outbox, queries

log = logging.getLogger(__name__)


async def refresh_backlog(outbox: Outbox) -> None:
    """Read the outbox's backlog into its gauges; with the database away they keep their last."""
    try:
        async with outbox.sessionmaker() as db:
            rows = await queries.backlog(db)
    except Exception as exc:
        log.warning("metrics could not read the outbox: %s", type(exc).__name__)
    else:
        metrics.outbox_backlog(outbox.kinds, rows)


async def scrape(outbox: Outbox) -> bytes:
    """The exposition text, with the backlog read now."""
    await refresh_backlog(outbox)
    return metrics.exposition()


async def keep_backlog_fresh(outbox: Outbox, interval: float) -> None:
    """For scrapes on METRICS_PORT, which no request of ours answers: read it every interval."""
    while True:
        await refresh_backlog(outbox)
        await asyncio.sleep(interval)
