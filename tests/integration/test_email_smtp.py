"""The SMTP sender against a real SMTP server (aiosmtpd): plain, STARTTLS + login, implicit TLS."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from cometchat_auth.emulator.tls import ensure_certificate
from cometchat_auth.mail import Mail, Mailer, SmtpSender
from tests.support.servers import free_port
from tests.support.smtp import link_in, smtp_server

LINK = "http://127.0.0.1:8000/verify?token=abc"


def verify_mail() -> Mail:
    return Mail("verify", "ann@example.com", {"name": "Ann", "link": LINK, "valid_for": "24 hours"})


def mailer(sender: SmtpSender) -> Mailer:
    return Mailer(sender, app_name="Chat", mail_from="no-reply@chat.example")


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server TLS context whose self-signed certificate this process trusts (SSL_CERT_FILE)."""
    certfile, keyfile = ensure_certificate(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(certfile))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


class OnlyAnn:
    """aiosmtpd's authenticator: one user, ``ann`` with ``s3cret``."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"ann", b"s3cret")
        if ok:
            self.logins.append("tls" if session.ssl else "plain")
        return AuthResult(success=ok, handled=False)


async def test_a_mail_arrives_over_plain_smtp() -> None:
    with smtp_server() as (inbox, port):
        await mailer(SmtpSender("127.0.0.1", port, starttls=False)).send(verify_mail())
        (message,) = inbox.wait_for(1)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Confirm your email for Chat"
    assert link_in(message, "/verify") == LINK
    assert message.get_body(("html",)) is not None


async def test_starttls_with_login(certificate: ssl.SSLContext) -> None:
    authenticator = OnlyAnn()
    server: dict[str, Any] = {
        "tls_context": certificate,
        "require_starttls": True,
        "authenticator": authenticator,
        "auth_required": True,
    }
    with smtp_server(**server) as (inbox, port):
        sender = SmtpSender("127.0.0.1", port, username="ann", password="s3cret")
        await mailer(sender).send(verify_mail())
        inbox.wait_for(1)
        wrong = SmtpSender("127.0.0.1", port, username="ann", password="wrong")
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
            await mailer(wrong).send(verify_mail())
    assert authenticator.logins == ["tls"]
    assert "wrong" not in str(refused.value)


async def test_starttls_is_required_not_opportunistic() -> None:
    """A server that offers no STARTTLS gets no mail (and no password) from a STARTTLS sender."""
    with smtp_server() as (inbox, port):
        with pytest.raises(aiosmtplib.SMTPException):
            await mailer(SmtpSender("127.0.0.1", port)).send(verify_mail())
        assert inbox.messages == []


async def test_implicit_tls(certificate: ssl.SSLContext) -> None:
    with smtp_server(ssl_context=certificate) as (inbox, port):
        sender = SmtpSender("127.0.0.1", port, starttls=False, tls=True)
        await mailer(sender).send(verify_mail())
        (message,) = inbox.wait_for(1)
    assert message["To"] == "ann@example.com"


async def test_smtp_down_raises_so_the_queue_retries() -> None:
    sender = SmtpSender("127.0.0.1", free_port(), starttls=False, timeout=2)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer(sender).send(verify_mail())


def test_starttls_and_implicit_tls_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="not both"):
        SmtpSender("127.0.0.1", 465, starttls=True, tls=True)
