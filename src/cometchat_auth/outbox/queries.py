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

from cometchat_auth.outbox.models import FAILED, PENDING, Job, JobRow
from cometchat_auth.store.models import utcnow


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job this worker holds until ``locked_until``; ``payload`` is still sealed."""

    id: int
    kind: str
    payload: str
    ordering_key: str | None
    attempts: int


def _free(now: datetime) -> ColumnElement[bool]:
    return and_(
        JobRow.status == PENDING,
        or_(JobRow.locked_until.is_(None), JobRow.locked_until <= now),
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Free, due, and first in line: no earlier pending job with the same ordering key."""
    earlier = aliased(JobRow)
    waiting_behind = exists().where(
        earlier.ordering_key == JobRow.ordering_key,
        earlier.id < JobRow.id,
        earlier.status == PENDING,
    )
    return and_(_free(now), JobRow.run_after <= now, ~waiting_behind)


async def claim(
    db: AsyncSession, *, lease: float, limit: int, ordering_key: str | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due jobs (of one ordering key, if given) and commit the claim."""
    now = utcnow()
    picked = select(JobRow.id).where(_due(now))
    if ordering_key is not None:
        picked = picked.where(JobRow.ordering_key == ordering_key)
    picked = picked.order_by(JobRow.id).limit(limit).with_for_update(skip_locked=True, of=JobRow)
    ids = list(await db.scalars(picked))
    if not ids:
        await db.rollback()
        return []
    taken = await db.execute(
        update(JobRow)
        .where(JobRow.id.in_(ids), _free(now))
        .values(locked_until=now + timedelta(seconds=lease), attempts=JobRow.attempts + 1)
        .returning(JobRow.id, JobRow.kind, JobRow.payload, JobRow.ordering_key, JobRow.attempts)
    )
    claimed = sorted((Claimed(*row) for row in taken), key=lambda job: job.id)
    await db.commit()
    return claimed


async def renew(db: AsyncSession, job: Claimed, *, lease: float) -> bool:
    """Extend the lease of a job this worker still holds (a heartbeat); False if it lost it."""
    renewed = await db.execute(
        update(JobRow)
        .where(JobRow.id == job.id, JobRow.attempts == job.attempts, JobRow.status == PENDING)
        .values(locked_until=utcnow() + timedelta(seconds=lease))
    )
    await db.commit()
    return int(getattr(renewed, "rowcount", 0)) == 1


async def finish(db: AsyncSession, job_id: int) -> None:
    await db.execute(delete(JobRow).where(JobRow.id == job_id))
    await db.commit()


async def reschedule(db: AsyncSession, job_id: int, *, delay: float, error: str) -> None:
    await db.execute(
        update(JobRow)
        .where(JobRow.id == job_id)
        .values(run_after=utcnow() + timedelta(seconds=delay), locked_until=None, last_error=error)
    )
    await db.commit()


async def fail(db: AsyncSession, job_id: int, *, error: str) -> None:
    await db.execute(
        update(JobRow)
        .where(JobRow.id == job_id)
        .values(status=FAILED, locked_until=None, last_error=error)
    )
    await db.commit()


async def first_pending(db: AsyncSession, ordering_key: str) -> JobRow | None:
    """The job an ordering key waits on next, if any."""
    row: JobRow | None = await db.scalar(
        select(JobRow)
        .where(JobRow.ordering_key == ordering_key, JobRow.status == PENDING)
        .order_by(JobRow.id)
        .limit(1)
    )
    return row


async def list_jobs(db: AsyncSession, *, limit: int = 1000) -> list[Job]:
    """Pending and failed jobs, oldest first."""
    rows = await db.scalars(select(JobRow).order_by(JobRow.id).limit(limit))
    return [Job.of(row) for row in rows]


async def backlog(db: AsyncSession) -> list[tuple[str, str, int, float]]:
    """``(kind, status, count, age of the oldest in s)`` for every kind and status with jobs."""
    rows = await db.execute(
        select(JobRow.kind, JobRow.status, func.count(), func.min(JobRow.created_at)).group_by(
            JobRow.kind, JobRow.status
        )
    )
    now = utcnow()
    return [
        (kind, status, count, max(0.0, (now - oldest).total_seconds()))
        for kind, status, count, oldest in rows
    ]


async def count_pending(db: AsyncSession) -> int:
    count = await db.scalar(select(func.count()).where(JobRow.status == PENDING))
    return count or 0


async def retry(db: AsyncSession, job_id: int | None = None) -> int:
    """Make jobs (one, or all with ``None``) pending and due now, attempts reset; how many.

    Failed jobs come back, and pending ones waiting out a back-off run at once; a job a worker
    holds right now is left to it.
    """
    statement = update(JobRow).where(or_(JobRow.status == FAILED, _free(utcnow())))
    if job_id is not None:
        statement = statement.where(JobRow.id == job_id)
    changed = await db.execute(
        statement.values(status=PENDING, attempts=0, run_after=utcnow(), locked_until=None)
    )
    await db.commit()
    return int(getattr(changed, "rowcount", 0))
