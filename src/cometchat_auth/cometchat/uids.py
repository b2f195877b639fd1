"""CometChat's UID rules, checked locally so a bad UID never costs a request."""

from __future__ import annotations

import re

from .errors import InvalidUid

MAX_UID_LENGTH = 100
_ALPHA_DASH = re.compile(r"[a-z0-9_-]+")


def validate_uid(uid: str) -> str:
    """Return ``uid`` lower-cased (as CometChat stores it), or raise ``InvalidUid`` saying why."""
    if not isinstance(uid, str):
        raise InvalidUid(f"a UID must be a string, not {type(uid).__name__}")
    lowered = uid.lower()
    if not lowered:
        raise InvalidUid("a UID must not be empty")
    if len(lowered) > MAX_UID_LENGTH:
        raise InvalidUid(
            f"a UID has at most {MAX_UID_LENGTH} characters, this one has {len(lowered)}"
        )
    # ASCII checked on what was given: the Kelvin sign lowers to "k", another user's uid.
    if not uid.isascii() or not _ALPHA_DASH.fullmatch(lowered):
        raise InvalidUid("a UID may contain only letters a-z, digits 0-9, '_' and '-'")
    return lowered
