"""The plug-in's first tables: cca_chat_sessions and cca_outbox_jobs.

The first revision makes them as ``tables.py`` defines them; later revisions change them step
by step, as migrations do.

Revision ID: cca_0001
Revises:
"""

from alembic import op

from cometchat_auth.integrations.fastapi.tables import CHAT_SESSIONS, PluginBase, PluginJobRow

revision = "cca_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [CHAT_SESSIONS, PluginBase.metadata.tables[PluginJobRow.__tablename__]]


def upgrade() -> None:
    PluginBase.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    PluginBase.metadata.drop_all(op.get_bind(), tables=TABLES)
