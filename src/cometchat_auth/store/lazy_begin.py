"""PostgreSQL: a session's transaction begins at its first write, not at its first read.

asyncpg sends BEGIN as a round trip of its own before a transaction's first statement, and a
transaction that only read still ends with a ROLLBACK: a signed-in check, one SELECT, cost three
round trips. Under READ COMMITTED (PostgreSQL's default, and ours) every statement reads its own
snapshot, so the reads before a transaction's first write see the same rows outside it. Django
works the same way: autocommit, and a transaction around the writes.

So each transaction of a session starts in the driver's autocommit mode. The first statement
that is not a plain SELECT (a write, DDL, ``SELECT ... FOR UPDATE``, text it cannot tell) turns
autocommit off just before it runs: BEGIN goes first, and from there on everything commits or
rolls back together. Connections leave the pool and come back to it in the driver's default.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

#: A SELECT that takes no row lock: the one kind of statement that may run before BEGIN.
_PLAIN_READ = re.compile(
    r"\s*SELECT\b(?!.*\bFOR\s+(?:UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b)",
    re.IGNORECASE | re.DOTALL,
)


class LazyBeginSession(Session):
    """The sync side of our ``AsyncSession``: each transaction reads before it begins."""


def begin_at_first_write(engine: Engine) -> None:
    """Let ``LazyBeginSession`` transactions on ``engine`` (asyncpg) read without BEGIN."""
    event.listen(engine, "before_cursor_execute", _begin_before_writing)
    event.listen(engine.pool, "checkin", _back_to_default)


@event.listens_for(LazyBeginSession, "after_begin")
def _read_without_begin(
    _session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    # Only where the writes will turn it off again (an app's own engine is left as it is).
    if not event.contains(connection.engine, "before_cursor_execute", _begin_before_writing):
        return
    driver = connection.connection.dbapi_connection
    if driver is not None:
        driver.autocommit = True


def _begin_before_writing(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    driver = connection.connection.dbapi_connection
    if driver is not None and driver.autocommit and not _PLAIN_READ.match(statement):
        driver.autocommit = False


def _back_to_default(dbapi_connection: Any, _record: Any) -> None:
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False
