"""Values that hold secrets keep them out of their repr: a logged object must not leak them."""

from __future__ import annotations

from cometchat_auth.emulator.config import AppKeys
from cometchat_auth.emulator.state import TokenRecord
from cometchat_auth.mail.messages import Mail
from cometchat_auth.sessions.service import Issued
from cometchat_auth.store import SessionRow, UserRow


def test_reprs_leave_out_tokens_keys_and_links() -> None:
    issued = Issued(UserRow(), SessionRow(), "access-secret", "refresh-secret", "chat-secret")
    values = [
        repr(issued),
        repr(Mail("reset", "ann@example.com", {"link": "https://x/reset#token=link-secret"})),
        repr(AppKeys("app", "rest-key-secret", "auth-key-secret")),
        repr(TokenRecord("emulated-token-secret", created_at=0)),
    ]
    assert not [text for text in values if "secret" in text]
