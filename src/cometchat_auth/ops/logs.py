"""Logging set-up at server start: plain lines for people, or one JSON object per line.

JSON lines carry the request's id, route and user (see ``context``), so one request's lines can
be found together, and the access line adds status and duration.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from cometchat_auth.ops.context import current

LogFormat = Literal["text", "json"]

#: Attributes an access line sets through ``extra=``, copied into its JSON object.
ACCESS_FIELDS = ("method", "status", "duration_ms")

#: Chatty libraries: kept at WARNING unless LOG_LEVEL=DEBUG asks for everything.
_NOISY = ("httpx", "httpcore", "alembic", "aiosqlite", "asyncio", "multipart")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and what is known of the request."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current()
        if request is not None:
            entry["request_id"] = request.request_id
            entry["route"] = request.route
            entry["user_id"] = request.user_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(format: LogFormat = "text", level: str = "INFO") -> None:
    """Replace the root handler with one writing to stderr in ``format``, at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    if format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in _NOISY:
        logging.getLogger(name).setLevel(quiet)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print a second, plain copy of each line.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    if format == "json":
        # The JSON access line (``requests.RequestLog``) says more than uvicorn's.
        logging.getLogger("uvicorn.access").disabled = True
