"""Mails from templates: the app's name, both parts, escaped values; the local mail folder."""

from __future__ import annotations

from email.headerregistry import Address
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from cometchat_auth.mail import Mail, Mailer, MailFolder

LINK = "https://chat.example/reset?token=abc-123_x"


def mailer(tmp_path: Path, mail_from: str = "no-reply@chat.example") -> Mailer:
    return Mailer(MailFolder(tmp_path / "mail"), app_name="Chat & Co", mail_from=mail_from)


def reset_mail(name: str = "Ann") -> Mail:
    return Mail("reset", "ann@example.com", {"name": name, "link": LINK, "valid_for": "1 hour"})


def test_a_mail_has_the_apps_name_a_text_part_and_an_html_part(tmp_path: Path) -> None:
    message = mailer(tmp_path).compose(reset_mail())

    assert message["Subject"] == "Reset your password for Chat & Co"
    assert message["To"] == "ann@example.com"
    assert message["From"].addresses == (Address("Chat & Co", addr_spec="no-reply@chat.example"),)
    assert message["Message-ID"].endswith("@chat.example>")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert LINK in text.get_content()
    assert "for 1 hour" in text.get_content()
    assert f'href="{LINK}"' in html.get_content()


def test_values_are_escaped_in_html_and_left_alone_in_text(tmp_path: Path) -> None:
    message = mailer(tmp_path).compose(reset_mail(name='<img src=x onerror="alert(1)">'))

    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "Chat &amp; Co" in html
    assert 'Hello <img src=x onerror="alert(1)">,' in text


def test_mail_from_with_its_own_display_name_keeps_it(tmp_path: Path) -> None:
    message = mailer(tmp_path, "Support <help@chat.example>").compose(reset_mail())
    assert message["From"].addresses == (Address("Support", addr_spec="help@chat.example"),)


def test_mail_from_must_be_an_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MAIL_FROM"):
        mailer(tmp_path, "nobody")


def test_a_missing_value_is_an_error_not_an_empty_hole(tmp_path: Path) -> None:
    with pytest.raises(UndefinedError):
        mailer(tmp_path).compose(Mail("verify", "ann@example.com", {"name": "Ann"}))


@pytest.mark.parametrize("template", ["verify", "reset", "email_taken"])
def test_every_template_renders_with_its_values(tmp_path: Path, template: str) -> None:
    values = {"name": "Ann", "link": LINK, "valid_for": "24 hours"}
    message = mailer(tmp_path).compose(Mail(template, "ann@example.com", values))
    assert "Chat & Co" in message["Subject"]
    assert LINK in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_payload_round_trips(tmp_path: Path) -> None:
    mail = reset_mail()
    assert Mail.from_payload(mail.as_payload()) == mail


async def test_the_folder_keeps_each_mail_and_shows_it_back(tmp_path: Path) -> None:
    folder = MailFolder(tmp_path / "mail")
    sender = Mailer(folder, app_name="Chat", mail_from="no-reply@chat.example")
    assert folder.summaries() == []

    await sender.send(reset_mail("First"))
    await sender.send(
        Mail("verify", "bob@example.com", {"name": "B", "link": LINK, "valid_for": "1 day"})
    )

    newest, oldest = folder.summaries()
    assert (newest.to, newest.subject) == ("bob@example.com", "Confirm your email for Chat")
    assert (oldest.to, oldest.subject) == ("ann@example.com", "Reset your password for Chat")
    html = folder.html(oldest.name)
    assert html is not None
    assert "Hello First," in html
    assert (tmp_path / "mail").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "name", ["../secrets.eml", "x.eml", "", "20261130T010000000000Z-0000000g.eml"]
)
def test_the_folder_serves_only_its_own_mails(tmp_path: Path, name: str) -> None:
    (tmp_path / "secrets.eml").write_text("Subject: no\n\nsecret")
    assert MailFolder(tmp_path / "mail").html(name) is None
