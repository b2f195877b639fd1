"""The outbox's SQL: add, claim under a lease, settle, and the operator's list and retry.

Claims work on SQLite and PostgreSQL alike: candidates are picked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so concurrent workers do not queue on each other's rows), then taken by an UPDATE that
re-checks the lease, so two processes never both hold one job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cometchat_auth.outbox.models import FAILED, PENDING, Job, JobColumns, JobRow, Rows
from cometchat_auth.store.models import utcnow


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job this worker holds until ``locked_until``; ``payload`` is still sealed."""

    id: int
    kind: str
    payload: str
    ordering_key: str | None
    attempts: int


def _free(now: datetime, rows: Rows) -> ColumnElement[bool]:
    return and_(
        rows.status == PENDING,
        or_(rows.locked_until.is_(None), rows.locked_until <= now),
    )


_EARLIER: dict[Rows, Rows] = {}


def _earlier(rows: Rows) -> Rows:
    """The table again, for jobs ahead in line: one alias per table, made once (a new one per
    claim cost about a millisecond of CPU in SQLAlchemy's column adaptation)."""
    if (alias := _EARLIER.get(rows)) is None:
        alias = _EARLIER[rows] = aliased(rows, name="earlier")
    return alias


def _due(now: datetime, rows: Rows) -> ColumnElement[bool]:
    """Free, due, and first in line: no earlier pending job with the same ordering key."""
    earlier = _earlier(rows)
    waiting_behind = exists().where(
        earlier.ordering_key == rows.ordering_key,
        earlier.id < rows.id,
        earlier.status == PENDING,
    )
    return and_(_free(now, rows), rows.run_after <= now, ~waiting_behind)


async def claim(
    db: AsyncSession,
    *,
    lease: float,
    limit: int,
    ordering_key: str | None = None,
    rows: Rows = JobRow,
) -> list[Claimed]:
    """Take up to ``limit`` due jobs (of one ordering key, if given); the caller commits."""
    now = utcnow()
    picked = select(rows.id).where(_due(now, rows))
    if ordering_key is not None:
        picked = picked.where(rows.ordering_key == ordering_key)
    picked = picked.order_by(rows.id).limit(limit).with_for_update(skip_locked=True, of=rows)
    ids = list(await db.scalars(picked))
    if not ids:
        await db.rollback()
        return []
    taken = await db.execute(
        update(rows)
        .where(rows.id.in_(ids), _free(now, rows))
        .values(locked_until=now + timedelta(seconds=lease), attempts=rows.attempts + 1)
        .returning(rows.id, rows.kind, rows.payload, rows.ordering_key, rows.attempts)
    )
    return sorted((Claimed(*row) for row in taken), key=lambda job: job.id)


async def renew(db: AsyncSession, job: Claimed, *, lease: float, rows: Rows = JobRow) -> bool:
    """Extend the lease of a job this worker still holds (a heartbeat); False if it lost it."""
    renewed = await db.execute(
        update(rows)
        .where(rows.id == job.id, rows.attempts == job.attempts, rows.status == PENDING)
        .values(locked_until=utcnow() + timedelta(seconds=lease))
    )
    await db.commit()
    return int(getattr(renewed, "rowcount", 0)) == 1


async def cancel(db: AsyncSession, job_id: int, *, rows: Rows = JobRow) -> bool:
    """Drop a pending job no worker holds, in the caller's transaction; False if one took it."""
    dropped = await db.execute(
        delete(rows).where(rows.id == job_id, rows.status == PENDING, rows.locked_until.is_(None))
    )
    return int(getattr(dropped, "rowcount", 0)) == 1


async def last_not_due(
    db: AsyncSession, ordering_key: str, *, rows: Rows = JobRow
) -> datetime | None:
    """When the last pending job of ``ordering_key`` not yet due becomes due (None: none is)."""
    latest: datetime | None = await db.scalar(
        select(func.max(rows.run_after)).where(
            rows.ordering_key == ordering_key,
            rows.status == PENDING,
            rows.run_after > utcnow(),
        )
    )
    return latest


async def finish(db: AsyncSession, job_id: int, *, rows: Rows = JobRow) -> None:
    await db.execute(delete(rows).where(rows.id == job_id))
    await db.commit()


async def reschedule(
    db: AsyncSession, job_id: int, *, delay: float, error: str, rows: Rows = JobRow
) -> None:
    await db.execute(
        update(rows)
        .where(rows.id == job_id)
        .values(run_after=utcnow() + timedelta(seconds=delay), locked_until=None, last_error=error)
    )
    await db.commit()


async def fail(db: AsyncSession, job_id: int, *, error: str, rows: Rows = JobRow) -> None:
    await db.execute(
        update(rows)
        .where(rows.id == job_id)
        .values(status=FAILED, locked_until=None, last_error=error)
    )
    await db.commit()


async def first_pending(
    db: AsyncSession, ordering_key: str, *, rows: Rows = JobRow
) -> JobColumns | None:
    """The job an ordering key waits on next, if any."""
    row: JobColumns | None = await db.scalar(
        select(rows)
        .where(rows.ordering_key == ordering_key, rows.status == PENDING)
        .order_by(rows.id)
        .limit(1)
    )
    return row


async def list_jobs(db: AsyncSession, *, limit: int = 1000, rows: Rows = JobRow) -> list[Job]:
    """Pending and failed jobs, oldest first."""
    found = await db.scalars(select(rows).order_by(rows.id).limit(limit))
    return [Job.of(row) for row in found]


async def backlog(db: AsyncSession, *, rows: Rows = JobRow) -> list[tuple[str, str, int, float]]:
    """``(kind, status, count, age of the oldest in s)`` for every kind and status with jobs."""
    found = await db.execute(
        select(rows.kind, rows.status, func.count(), func.min(rows.created_at)).group_by(
            rows.kind, rows.status
        )
    )
    now = utcnow()
    return [
        (kind, status, count, max(0.0, (now - oldest).total_seconds()))
        for kind, status, count, oldest in found
    ]


async def count_pending(db: AsyncSession, *, rows: Rows = JobRow) -> int:
    count = await db.scalar(select(func.count()).where(rows.status == PENDING))
    return count or 0


async def retry(db: AsyncSession, job_id: int | None = None, *, rows: Rows = JobRow) -> int:
    """Make jobs (one, or all with ``None``) pending and due now, attempts reset; how many.

    Failed jobs come back, and pending ones waiting out a back-off run at once; a job a worker
    holds right now is left to it.
    """
    statement = update(rows).where(or_(rows.status == FAILED, _free(utcnow(), rows)))
    if job_id is not None:
        statement = statement.where(rows.id == job_id)
    changed = await db.execute(
        statement.values(status=PENDING, attempts=0, run_after=utcnow(), locked_until=None)
    )
    await db.commit()
    return int(getattr(changed, "rowcount", 0))
