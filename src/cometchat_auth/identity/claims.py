"""What an ID token says about its holder: the CometChat uid, profile, and chat session key."""

from __future__ import annotations

import hashlib
from typing import Any

from cometchat_auth.accounts.names import check_display_name
from cometchat_auth.chat_tokens import Principal
from cometchat_auth.identity.config import IdentityConfig
from cometchat_auth.identity.errors import Reason, TokenRejected
from cometchat_auth.identity.uids import cometchat_uid

#: CometChat's limits on a user's name and avatar URL.
MAX_NAME = 100
MAX_AVATAR = 3000


def holder(config: IdentityConfig, claims: dict[str, Any], device: str | None) -> Principal:
    """The token's holder as CometChat will know them, keyed by their chat session (the
    provider's session, or the sign-in on this device); a missing user id refuses the token."""
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
    name = _name(claims.get(config.name_claim), uid)
    return Principal(uid, key, name, _avatar(claims.get(config.avatar_claim)))


def session_key(issuer: str, sid: str) -> str:
    """The chat session of the provider's session ``sid``: what back-channel logout ends."""
    return _digest("sid", issuer, sid)


def _digest(kind: str, *parts: str) -> str:
    # Hashed: a provider's sid can be long, and keys must not collide across issuers or kinds.
    joined = "\0".join(parts).encode("utf-8", "surrogatepass")
    return f"oidc-{kind}-{hashlib.sha256(joined).hexdigest()[:40]}"


def _name(value: object, uid: str) -> str:
    """The provider's name for the user; the uid when it has none, or one that could spoof
    another in chat (bidi overrides, zero-width characters: the accounts' rule)."""
    name = value.strip()[:MAX_NAME] if isinstance(value, str) else ""
    try:
        return check_display_name(name) or uid
    except ValueError:
        return uid


def _avatar(value: object) -> str | None:
    if isinstance(value, str) and value.startswith("https://") and len(value) <= MAX_AVATAR:
        return value
    return None
