"""A provider's user id as a CometChat uid: as it is when CometChat can hold it, else hashed.

CometChat keeps uids lower-case and alpha-dash, at most 100 characters. Lower-casing a provider's
id would merge ``Ann`` with ``ann`` (and turn the Kelvin sign into ``k``), so any id that is not
already a plain CometChat uid gets a hash-based form instead, deterministic and collision-free.
A plain id that looks like a hashed one is hashed too, so the two forms never meet.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cometchat_auth.cometchat.uids import MAX_UID_LENGTH, validate_uid

HASHED = "h_"
_PLAIN = re.compile(r"[a-z0-9_-]+")


def cometchat_uid(subject: str, prefix: str = "") -> str:
    """The CometChat uid of the provider's user ``subject``: ``prefix`` + the id, or + its hash."""
    direct = prefix + subject
    if (
        _PLAIN.fullmatch(subject)
        and not subject.startswith(HASHED)
        and len(direct) <= MAX_UID_LENGTH
    ):
        uid = direct
    else:
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).digest()
        # 160 bits of base32: no two provider ids meet, and it fits CometChat's alphabet.
        uid = prefix + HASHED + base64.b32encode(digest[:20]).decode().lower()
    checked = validate_uid(uid)
    assert checked == uid  # already lower-case alpha-dash: validation must not change it
    return checked
