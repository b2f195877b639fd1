"""Who a CometChat token is for: a CometChat user and one of their chat sessions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """A CometChat uid, a session key of the caller's choosing, and the profile CometChat shows.

    One key holds one token at a time: the same key gets the same token until it rotates or
    ends. The standalone server uses its session ids; an app may use its own session ids, an
    identity provider's ``sid``, or ``sub`` plus a device.
    """

    uid: str
    key: str
    name: str
    avatar: str | None = None
