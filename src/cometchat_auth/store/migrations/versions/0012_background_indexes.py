"""Indexes for the background queries: the session sweep and the outbox poll.

The sweep looks for live sessions past ``expires_at`` or idle since ``last_used_at``; the poll for
pending jobs in id order. Partial indexes hold only those rows (live sessions, pending jobs), so
both stay quick with millions of ended sessions or failed jobs beside them.

Revision ID: background_indexes
Revises: identity_exchange
"""

import sqlalchemy as sa
from alembic import op

revision = "background_indexes"
down_revision = "identity_exchange"
branch_labels = None
depends_on = None

LIVE = sa.text("ended_at IS NULL")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    for column in ("expires_at", "last_used_at"):
        op.create_index(
            f"ix_sessions_live_{column}",
            "sessions",
            [column],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        )
    op.create_index(
        "ix_outbox_jobs_pending",
        "outbox_jobs",
        ["id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_jobs_pending", "outbox_jobs")
    for column in ("expires_at", "last_used_at"):
        op.drop_index(f"ix_sessions_live_{column}", "sessions")
