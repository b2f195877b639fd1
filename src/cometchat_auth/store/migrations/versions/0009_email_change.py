"""Email change: the new address a change link confirms, kept on its mailed token.

Revision ID: email_change
Revises: second_factor
"""

import sqlalchemy as sa
from alembic import op

revision = "email_change"
down_revision = "second_factor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_tokens") as batch:
        batch.add_column(sa.Column("new_email", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_tokens") as batch:
        batch.drop_column("new_email")
