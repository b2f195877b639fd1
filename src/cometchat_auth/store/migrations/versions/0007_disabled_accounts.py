"""Disabled accounts: when an operator disabled the account (NULL while it may sign in).

Revision ID: disabled_accounts
Revises: email_keys
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "disabled_accounts"
down_revision = "email_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
