"""The audit table and ``record``: one row per security event, never a secret in it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.audit.context import current_client
from cometchat_auth.store.models import Base, UTCDateTime, utcnow


class Event(enum.StrEnum):
    REGISTERED = "register"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOCKED_OUT = "locked_out"
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    SESSION_REVOKED = "session_revoked"
    REFRESH_REUSED = "refresh_reused"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a secret)
    ACCOUNT_DELETED = "account_deleted"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_RENAMED = "passkey_renamed"
    PASSKEY_REMOVED = "passkey_removed"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    MFA_RECOVERY_CODES_RENEWED = "mfa_recovery_codes_renewed"
    MFA_REQUIRED = "mfa_required"
    MFA_SUCCEEDED = "mfa_succeeded"
    MFA_FAILED = "mfa_failed"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    COMETCHAT_TOKEN_MINTED = "cometchat_token_minted"  # noqa: S105 (an event name, not a secret)
    COMETCHAT_TOKEN_REVOKED = "cometchat_token_revoked"  # noqa: S105 (an event name, not a secret)


class AuditEventRow(Base):
    """One event. No foreign key: the trail outlives a deleted account."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    #: An account's id, or any CometChat uid (an exchanged user's: up to 100 characters).
    user_id: Mapped[str | None] = mapped_column(String(100), index=True)
    #: The account's email key at the time, so the trail can be read by address.
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def record(
    db: AsyncSession,
    event: Event,
    *,
    user_id: str | None = None,
    email: str | None = None,
    **details: str | int | float | bool | None,
) -> None:
    """Add an event to ``db``'s transaction: it commits (or rolls back) with the change itself.

    ``details`` are plain, non-secret facts (a reason, a session id); never a password or token.
    """
    client = current_client()
    db.add(
        AuditEventRow(
            at=utcnow(),
            event=event.value,
            user_id=user_id,
            email=email,
            ip=client.ip,
            user_agent=client.user_agent,
            details=details or None,
        )
    )
