"""Where sealed tokens live: one row per key, with its uid and the moment the key ended.

The standalone server keeps them in its ``sessions`` rows; the exchange and the plug-in in a
table of their own made by ``chat_sessions_table`` (under a prefix for the plug-in). The rules
are the same for both: a token is saved only into a row whose key has not ended and whose token
is still the one read, and ending a key reads the token in the same UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, MetaData, String, Table, Text

from cometchat_auth.store.models import UTCDateTime, utcnow


@dataclass(frozen=True, slots=True)
class Slots:
    """The table and its columns; ``owned`` rows are created and ended by the chat tokens."""

    table: Table
    key: Column[str]
    uid: Column[str]
    sealed: Column[str]
    ended_at: Column[datetime]
    owned: bool = False

    @classmethod
    def of(cls, table: Table, *, owned: bool = True, **names: str) -> Slots:
        """Slots over ``table``; ``names`` maps key, uid, sealed, ended_at to other column names."""
        columns: dict[str, Any] = {
            field: table.c[names.get(field, field)]
            for field in ("key", "uid", "sealed", "ended_at")
        }
        return cls(table, owned=owned, **columns)


def chat_sessions_table(metadata: MetaData, name: str = "chat_sessions") -> Table:
    """A table of chat sessions keyed by the caller's key (the exchange's, the plug-in's)."""
    return Table(
        name,
        metadata,
        Column("key", String(255), primary_key=True),
        #: None for a key ended before it ever held a token (it stays ended: see ``end``).
        Column("uid", String(100)),
        #: Fernet ciphertext: ending the key needs the token back to delete it in CometChat.
        Column("sealed", Text),
        Column("created_at", UTCDateTime, nullable=False, default=utcnow),
        Column("ended_at", UTCDateTime),
        Index(f"ix_{name}_uid", "uid"),
    )
