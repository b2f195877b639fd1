"""The plug-in's tables, under the ``cca_`` prefix, in a metadata of their own.

They sit beside the host's tables in the host's database, with their own Alembic history (the
``cca_alembic_version`` table), so neither side's migrations see the other's.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from cometchat_auth.chat_tokens import chat_sessions_table
from cometchat_auth.outbox.models import JobColumns

PREFIX = "cca_"
VERSION_TABLE = f"{PREFIX}alembic_version"


class PluginBase(DeclarativeBase):
    metadata = MetaData()


#: One row per chat session key: its sealed CometChat token, and when the key ended.
CHAT_SESSIONS = chat_sessions_table(PluginBase.metadata, f"{PREFIX}chat_sessions")


class PluginJobRow(JobColumns, PluginBase):
    """The plug-in's outbox: CometChat jobs (provisioning, deletion) queued with the change."""

    __tablename__ = f"{PREFIX}outbox_jobs"
