"""``users import``: accounts from another system's export, in batches, idempotently.

Each batch is one transaction: its accounts and their queued CometChat users commit together.
An address already here (from an earlier run, or earlier in the file) is skipped, so a re-run
after an interruption creates only what is missing. Memory stays bounded: one batch at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import insert, select

from cometchat_auth.ops.rows import NewUser, Rejected
from cometchat_auth.outbox.cometchat_jobs import CREATE_USER
from cometchat_auth.services import Services
from cometchat_auth.store import UserRow

BATCH = 500


@dataclass(slots=True)
class Tally:
    read: int = 0
    created: int = 0
    existing: int = 0
    rejected: int = 0
    #: Created without a usable hash: they sign in after a password reset.
    must_reset: int = 0


def _batches(rows: Iterable[NewUser | Rejected], size: int) -> Iterator[list[NewUser | Rejected]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


async def import_users(
    services: Services,
    rows: Iterable[NewUser | Rejected],
    *,
    dry_run: bool = False,
    batch_size: int = BATCH,
    on_rejected: Callable[[Rejected], None] = lambda _: None,
    on_batch: Callable[[Tally], None] = lambda _: None,
) -> Tally:
    """Create the accounts not here yet and queue their CometChat users; the tally of the run.

    A dry run does all the same work in one transaction, rolled back at the end: what it counts
    (duplicates across batches included) is what a real run would do.
    """
    tally = Tally()
    async with services.database.sessionmaker() as db:
        for batch in _batches(rows, batch_size):
            tally.read += len(batch)
            fresh: dict[str, NewUser] = {}
            for row in batch:
                if isinstance(row, NewUser) and row.email_key in fresh:
                    row = Rejected(
                        row.line, f"the same address as line {fresh[row.email_key].line}"
                    )
                if isinstance(row, Rejected):
                    tally.rejected += 1
                    on_rejected(row)
                    continue
                fresh[row.email_key] = row
            known = set(
                await db.scalars(
                    select(UserRow.email_key).where(UserRow.email_key.in_(list(fresh)))
                )
            )
            new = [row for key, row in fresh.items() if key not in known]
            tally.existing += len(known)
            tally.created += len(new)
            tally.must_reset += sum(row.must_reset for row in new)
            if new:
                users = [_account(row) for row in new]
                await db.execute(insert(UserRow), users)  # one executemany
                await services.cometchat_jobs.bulk(db, CREATE_USER, (user["id"] for user in users))
            if not dry_run:
                await db.commit()
            on_batch(tally)
        if dry_run:
            await db.rollback()
    return tally


def _account(row: NewUser) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "email": row.email,
        "email_key": row.email_key,
        "name": row.name,
        "avatar": row.avatar,
        "password_hash": row.password_hash,
        "email_verified": row.verified,
    }
