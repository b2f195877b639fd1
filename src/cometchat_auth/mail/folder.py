"""Local mode's mailbox: each mail written to a folder as ``.eml``, and read back for the viewer.

With no SMTP server a newcomer still gets the verification and reset links: open the file, or the
server's ``/dev/mail`` page. The log says a mail was written and where, never its link.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from anyio import to_thread

log = logging.getLogger(__name__)

#: The names this folder gives its files; anything else (``../x``) is not one of its mails.
_NAME = re.compile(r"^\d{8}T\d{6}\d{6}Z-[0-9a-f]{8}\.eml$")


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    subject: str
    to: str
    date: str


class MailFolder:
    """A sender that writes mails to ``folder``, newest last by name, readable only by us."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        path = await to_thread.run_sync(self._write, message)
        log.info("local mode: mail %r to %s written to %s", message["Subject"], message["To"], path)

    def _write(self, message: EmailMessage) -> Path:
        # The mails hold live tokens: the folder is ours alone.
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(message.as_bytes())
        return path

    def summaries(self) -> list[Summary]:
        """Every mail written, newest first."""
        if not self.folder.is_dir():
            return []
        mails = sorted((p for p in self.folder.iterdir() if _NAME.match(p.name)), reverse=True)
        return [self._summary(path) for path in mails]

    def html(self, name: str) -> str | None:
        """The HTML part of one mail, or None if the name is not a mail of this folder."""
        if not _NAME.match(name) or not (self.folder / name).is_file():
            return None
        body = _read(self.folder / name).get_body(("html",))
        return None if body is None else str(body.get_content())

    @staticmethod
    def _summary(path: Path) -> Summary:
        message = _read(path)
        return Summary(path.name, message["Subject"], message["To"], message["Date"])


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message: EmailMessage = BytesParser(policy=policy.default).parse(file)
        return message
