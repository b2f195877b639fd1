"""Bring your own identity: the jtis of back-channel logout tokens already used.

Revision ID: identity
Revises: outbox
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "identity"
down_revision = "outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_spent_logout_tokens",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("forget_after", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_identity_spent_logout_tokens_forget_after",
        "identity_spent_logout_tokens",
        ["forget_after"],
    )


def downgrade() -> None:
    op.drop_table("identity_spent_logout_tokens")
