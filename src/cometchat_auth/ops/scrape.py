"""A scrape of ``/metrics``: the outbox's backlog looked up now, then every metric's text."""

from __future__ import annotations

import logging

from cometchat_auth.ops import metrics
from cometchat_auth.outbox import Outbox, queries

log = logging.getLogger(__name__)


async def scrape(outbox: Outbox) -> bytes:
    """The exposition text; with the database away the backlog keeps its last figures."""
    try:
        async with outbox.sessionmaker() as db:
            rows = await queries.backlog(db)
    except Exception as exc:
        log.warning("metrics could not read the outbox: %s", type(exc).__name__)
    else:
        metrics.outbox_backlog(outbox.kinds, rows)
    return metrics.exposition()
