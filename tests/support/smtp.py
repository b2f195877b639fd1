"""A real SMTP server (aiosmtpd) on a loopback port, keeping what arrives for the test to read."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.servers import free_port


class Inbox:
    """aiosmtpd's handler: every message delivered, parsed, in arrival order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """The first ``count`` messages, once they arrived (AssertionError if not in time)."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            assert arrived, f"{len(self.messages)} of {count} mails arrived"
            return list(self.messages[:count])


@contextmanager
def smtp_server(port: int | None = None, **smtp: Any) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1 until the block ends; yields its inbox and port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **smtp)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage, path: str) -> str:
    """The link to ``path`` (``/reset`` say) that the mail's text carries."""
    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", text_of(message))
    assert found, f"no {path} link in the mail"
    return found.group(0)
