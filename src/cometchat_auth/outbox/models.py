"""The outbox table: one row per job still to run (done jobs are deleted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cometchat_auth.store.models import Base, UTCDateTime, utcnow

PENDING: Literal["pending"] = "pending"
FAILED: Literal["failed"] = "failed"
Status = Literal["pending", "failed"]


class JobColumns:
    """An outbox table's columns: the server maps ``outbox_jobs``, the FastAPI plug-in its own
    under a prefix; the queries take either."""

    __tablename__: str

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        return (
            Index(f"ix_{cls.__tablename__}_due", "status", "run_after"),
            Index(f"ix_{cls.__tablename__}_ordering", "ordering_key", "id"),
        )

    if TYPE_CHECKING:

        def __init__(self, **values: Any) -> None: ...

    #: Increasing with insertion: the order jobs of one ordering key run in.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    ordering_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A claim's lease: a worker that died holding the job loses it when the lease runs out.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The error's type (and CometChat code), never its message: messages may quote the payload.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRow(JobColumns, Base):
    """A job written in the same transaction as the change it follows; the payload is encrypted.

    Migration ``background_indexes`` adds ``ix_outbox_jobs_pending``, the poll's index: pending
    jobs in id order, past the failed ones kept for operators.
    """

    __tablename__ = "outbox_jobs"


#: Which outbox table a query works on.
Rows = type[JobColumns]


@dataclass(frozen=True, slots=True)
class Job:
    """A job as callers and the CLI see it: everything but the (secret-bearing) payload."""

    id: int
    kind: str
    ordering_key: str | None
    status: Status
    attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: JobColumns) -> Job:
        status: Status = FAILED if row.status == FAILED else PENDING
        return cls(
            row.id,
            row.kind,
            row.ordering_key,
            status,
            row.attempts,
            row.run_after,
            row.last_error,
            row.created_at,
        )
