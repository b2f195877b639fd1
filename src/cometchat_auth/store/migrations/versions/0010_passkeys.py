"""Passkeys (WebAuthn credentials) and the single-use challenges of their ceremonies.

Revision ID: passkeys
Revises: email_change
"""

import sqlalchemy as sa
from alembic import op

from cometchat_auth.store.models import UTCDateTime

revision = "passkeys"
down_revision = "email_change"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
    )
    op.create_table(
        "webauthn_challenges",
        sa.Column("challenge", sa.String(128), primary_key=True),
        sa.Column("ceremony", sa.String(16), nullable=False),
        sa.Column(
            "user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
        ),
        sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
        sa.Column("used_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("webauthn_challenges")
    op.drop_table("passkeys")
