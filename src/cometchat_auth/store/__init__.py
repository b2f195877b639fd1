"""SQLAlchemy models, the engine, queries and Alembic migrations."""

from cometchat_auth.store.db import Database, open_database
from cometchat_auth.store.models import SessionRow, SpentRefreshToken, UserRow

__all__ = ["Database", "SessionRow", "SpentRefreshToken", "UserRow", "open_database"]
