"""Telling a database outage (unreachable, refused, timed out, failed over, locked) from a bug.

An outage deserves "retry later" (503 with Retry-After, a job tried again); a bug or bad data does
not. Drivers report outages in many shapes: SQLAlchemy's pool timeout and its wrapped driver
errors, and plain ``OSError``/``TimeoutError`` that asyncpg raises while connecting.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import exc as sa

#: The modules whose bare OSError or TimeoutError means the database (not CometChat, not Redis).
_DRIVERS = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3.")
#: PostgreSQL's SQLSTATE classes for a server that cannot serve now, whatever the error's class:
#: connection exceptions (08), insufficient resources such as too many connections (53), and
#: operator intervention: shutting down, starting up (a failover), a statement timeout (57).
#: SQLAlchemy wraps those raised while connecting as a plain DBAPIError.
_OUTAGE_SQLSTATES = ("08", "53", "57")


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be used right now (rather than a bug)."""
    if isinstance(error, sa.TimeoutError):  # no pooled connection free within the timeout
        return True
    if isinstance(error, sa.DBAPIError):
        # Operational: refused, shut down, starting up, too many connections, SQLite locked.
        return (
            error.connection_invalidated
            or isinstance(error, sa.OperationalError | sa.InterfaceError)
            or str(getattr(error.orig, "sqlstate", None) or "").startswith(_OUTAGE_SQLSTATES)
        )
    if isinstance(error, OSError):  # ConnectionError, TimeoutError, refused, unknown host
        return _raised_in_driver(error.__traceback__)
    return False


def _raised_in_driver(traceback: TracebackType | None) -> bool:
    """Whether the innermost frames of ``traceback`` run database driver code."""
    modules = []
    while traceback is not None:
        modules.append(str(traceback.tb_frame.f_globals.get("__name__", "")))
        traceback = traceback.tb_next
    # asyncio's own frames may be innermost (a socket timing out): look a few frames out too.
    return any(name.startswith(_DRIVERS) for name in modules[-8:])
