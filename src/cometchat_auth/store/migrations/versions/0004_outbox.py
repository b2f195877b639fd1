"""Outbox: CometChat (and mail) jobs written in the same transaction as the change they follow.

Revision ID: outbox
Revises: security
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "outbox"
down_revision = "security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("ordering_key", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("run_after", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_outbox_jobs_due", "outbox_jobs", ["status", "run_after"])
    op.create_index("ix_outbox_jobs_ordering", "outbox_jobs", ["ordering_key", "id"])


def downgrade() -> None:
    op.drop_table("outbox_jobs")
