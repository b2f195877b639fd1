"""Bring your own identity: one row per exchanged chat session (its CometChat token sealed), and
the profile CometChat last heard for each exchanged user. The audit log's user ids widen to
CometChat's 100 characters: an exchanged user's uid is no 32-digit account id.

Revision ID: identity_exchange
Revises: passkeys
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "identity_exchange"
down_revision = "passkeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_chat_sessions",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("uid", sa.String(100)),
        sa.Column("sealed", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
    )
    op.create_index("ix_identity_chat_sessions_uid", "identity_chat_sessions", ["uid"])
    op.create_table(
        "identity_users",
        sa.Column("uid", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("avatar", sa.String(3000)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )

    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("user_id", type_=sa.String(100), existing_type=sa.String(32))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("user_id", type_=sa.String(32), existing_type=sa.String(100))
    op.drop_table("identity_users")
    op.drop_table("identity_chat_sessions")
