"""Build a mail from its templates: a text part, an HTML part (values escaped), the app's name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_templates = Environment(
    loader=PackageLoader("cometchat_auth.mail"),
    autoescape=select_autoescape(["html"]),
    # A value a template names but the caller forgot is a bug, not an empty string in a mail.
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
)

#: The queue's job kind for a mail; its payload is ``Mail.as_payload()``.
MAIL_SEND = "mail.send"


@dataclass(frozen=True, slots=True)
class Mail:
    """What to send: a template name, the recipient and the template's values.

    Plain JSON-able data, so a queue can store it (encrypted: links carry tokens) and send it later.
    """

    template: str
    to: str
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # links carry tokens

    def as_payload(self) -> dict[str, Any]:
        return {"template": self.template, "to": self.to, "values": self.values}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Mail:
        return cls(payload["template"], payload["to"], dict(payload["values"]))


#: A mail job with nothing to send: queued where there is no mail to send (an unknown address),
#: so that the work after an answer does not tell whether there was one.
NO_MAIL = Mail("", "")


class Sender(Protocol):
    """Where composed messages go: an SMTP server, or a folder in local mode."""

    async def send(self, message: EmailMessage) -> None: ...


class Mailer:
    """Composes mails with the app's name and sender address, and hands them to a sender."""

    def __init__(self, sender: Sender, *, app_name: str, mail_from: str) -> None:
        self.sender = sender
        self._app_name = app_name
        name, address = parseaddr(mail_from)
        if "@" not in address:
            raise ValueError("MAIL_FROM is not an email address")
        # A bare MAIL_FROM shows the app's name in the recipient's inbox.
        self._from = Address(name or app_name, addr_spec=address)

    def compose(self, mail: Mail) -> EmailMessage:
        values = {**mail.values, "app_name": self._app_name}
        text = _templates.get_template(f"{mail.template}.txt").make_module(values)
        subject = str(getattr(text, "subject"))  # noqa: B009 (set by the template)
        html = _templates.get_template(f"{mail.template}.html").render(values, subject=subject)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self._from
        message["To"] = mail.to
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(uuid.uuid4().hex, domain=self._from.domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        message.set_content(str(text))
        message.add_alternative(html, subtype="html")
        return message

    async def send(self, mail: Mail) -> None:
        if mail == NO_MAIL:
            return
        await self.sender.send(self.compose(mail))
