"""A second factor: TOTP secrets (encrypted), recovery codes (hashed), and the short-lived
tickets between a right password and a code.

Revision ID: second_factor
Revises: disabled_accounts
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "second_factor"
down_revision = "disabled_accounts"
branch_labels = None
depends_on = None


def _user_id(*, primary_key: bool = False, index: bool = False) -> sa.Column[str]:
    return sa.Column(
        "user_id",
        sa.String(32),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=index,
    )


def upgrade() -> None:
    op.create_table(
        "totp_factors",
        _user_id(primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("confirmed_at", UTCDateTime),
        sa.Column("last_step", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        _user_id(index=True),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_table(
        "mfa_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _user_id(index=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )


def downgrade() -> None:
    for table in ("mfa_tokens", "recovery_codes", "totp_factors"):
        op.drop_table(table)
