"""Log lines without secrets: CometChat puts auth tokens in some URL paths."""

from __future__ import annotations

import logging
import re

import httpx

from .answers import REDACTED

logger = logging.getLogger("cometchat_auth.cometchat")

_TOKEN_IN_PATH = re.compile(r"(/auth_tokens/)[^/?#]+")


def redact_path(path: str) -> str:
    """``path`` (or a whole URL) with the token of an ``/auth_tokens/<token>`` path hidden."""
    return _TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", path)


class RedactTokenPaths(logging.Filter):
    """httpx logs every request's URL at INFO; this hides the tokens in those URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


def hide_tokens_from_httpx_logs() -> None:
    """Install the filter on httpx's logger once, however many clients are built."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(known, RedactTokenPaths) for known in httpx_logger.filters):
        httpx_logger.addFilter(RedactTokenPaths())
