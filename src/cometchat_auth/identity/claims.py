"""What an ID token says about its holder: the CometChat uid, profile, and chat session key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cometchat_auth.identity.config import IdentityConfig
from cometchat_auth.identity.errors import Reason, TokenRejected
from cometchat_auth.identity.uids import cometchat_uid

#: CometChat's limits on a user's name and avatar URL.
MAX_NAME = 100
MAX_AVATAR = 3000
#: A device value the client chooses when its provider names no session.
MAX_DEVICE = 128


@dataclass(frozen=True, slots=True)
class Holder:
    """The provider's user as CometChat will know them, and the chat session they exchange for."""

    uid: str
    name: str
    avatar: str | None
    #: One CometChat token per key: the provider's session, or the user's device.
    session_key: str


def holder(config: IdentityConfig, claims: dict[str, Any], device: str | None) -> Holder:
    """Read the holder from verified claims; a missing or mistyped user id refuses the token."""
    subject = claims.get(config.uid_claim)
    if not isinstance(subject, str) or not subject:
        raise TokenRejected(Reason.CLAIM_INVALID, f"no {config.uid_claim} claim")
    uid = cometchat_uid(subject, config.uid_prefix)
    sid = claims.get(config.session_claim)
    if isinstance(sid, str) and sid:
        key = session_key(config.issuer, sid)
    else:
        # No provider session: one per sign-in (auth_time) and device the client names. Ended
        # keys never restart, so a new sign-in must make a new key.
        signed_in = claims.get("auth_time")
        since = str(signed_in) if isinstance(signed_in, int) else ""
        key = _digest("device", config.issuer, uid, since, device or "")
    return Holder(
        uid,
        _name(claims.get(config.name_claim), uid),
        _avatar(claims.get(config.avatar_claim)),
        key,
    )


def session_key(issuer: str, sid: str) -> str:
    """The chat session of the provider's session ``sid``: what back-channel logout ends."""
    return _digest("sid", issuer, sid)


def _digest(kind: str, *parts: str) -> str:
    # Hashed: a provider's sid can be long, and keys must not collide across issuers or kinds.
    joined = "\0".join(parts).encode("utf-8", "surrogatepass")
    return f"oidc-{kind}-{hashlib.sha256(joined).hexdigest()[:40]}"


def _name(value: object, uid: str) -> str:
    name = value.strip()[:MAX_NAME] if isinstance(value, str) else ""
    return name or uid


def _avatar(value: object) -> str | None:
    if isinstance(value, str) and value.startswith("https://") and len(value) <= MAX_AVATAR:
        return value
    return None
