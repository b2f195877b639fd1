"""The audit log: security events (sign-ins, lock-outs, token changes) with who, when and where."""

from cometchat_auth.audit.context import Client, acting_for, current_client
from cometchat_auth.audit.events import AuditEventRow, Event, record

__all__ = ["AuditEventRow", "Client", "Event", "acting_for", "current_client", "record"]
