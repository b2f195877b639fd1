"""Security: the audit log and per-account lock-out counters.

Revision ID: security
Revises: email_tokens
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "security"
down_revision = "email_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        sa.Column("event", sa.String(32), nullable=False, index=True),
        sa.Column("user_id", sa.String(32), index=True),
        sa.Column("email", sa.String(254), index=True),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(512)),
        sa.Column("details", sa.JSON),
    )
    op.create_table(
        "login_lockouts",
        sa.Column("email_key", sa.String(254), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_failure_at", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("login_lockouts")
    op.drop_table("audit_events")
