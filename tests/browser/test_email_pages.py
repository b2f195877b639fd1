"""Forgot password, the local mailbox and the reset page, in a real Chromium.

Local mode with no SMTP server: the mail lands in the server's folder and the page links to it,
so a newcomer finishes the flow with `make run` alone.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import ServerFactory
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"


def mailed_link(page: Page, server: str, subject: str, button: str) -> str:
    """Open the local mailbox, then the mail, and return its link, pointed at ``server``."""
    # The mail is written after the answer, by the outbox: wait until the mailbox holds it.
    eventually(lambda: httpx.get(f"{server}/dev/mail/index.json").json()["mails"])
    page.goto(f"{server}/dev/mail")
    page.get_by_role("link", name=subject).click()
    link = page.get_by_role("link", name=button).get_attribute("href")
    assert link is not None
    # PUBLIC_URL's default is make run's address; this test's server listens elsewhere.
    assert link.startswith("http://127.0.0.1:8000/")
    return server + link.removeprefix("http://127.0.0.1:8000")


def test_forgot_password_then_reset_from_the_local_mailbox(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server()
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    registered = httpx.post(
        f"{server}/auth/register", json={"name": "Ann", "email": email, "password": PASSWORD}
    )
    assert registered.status_code == 201

    page.goto(server)
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    mailbox = page.get_by_role("link", name="the local mailbox")
    expect(mailbox).to_have_attribute("href", "/dev/mail")  # local mode: mails are one click away
    page.get_by_role("link", name="Forgot password?").click()

    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("on its way")

    page.get_by_role("link", name="the local mailbox").click()
    expect(page.get_by_role("heading", name="Local mailbox")).to_be_visible()
    page.goto(
        mailed_link(page, server, "Reset your password for Demo app", "Choose a new password")
    )
    expect(page).to_have_url(f"{server}/reset")  # the page took the token out of the address

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")

    old = httpx.post(f"{server}/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    new = httpx.post(f"{server}/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert new.status_code == 200


def test_an_unknown_link_says_so(page: Page, start_server: ServerFactory) -> None:
    server = start_server()
    page.goto(f"{server}/reset?token={'x' * 43}")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")


def test_verify_from_the_local_mailbox_while_signed_in(
    page: Page, start_server: ServerFactory
) -> None:
    """The verify page's request carries the session's cookies, so it must pass the CSRF check."""
    server = start_server()
    email = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    # Through the page's own context: the session cookies land in this browser.
    registered = page.request.post(
        f"{server}/auth/register", data={"name": "Bob", "email": email, "password": PASSWORD}
    )
    assert registered.status == 201
    asked = httpx.post(f"{server}/auth/verify/request", json={"email": email})
    assert asked.status_code == 202

    link = mailed_link(page, server, "Confirm your email for Demo app", "Confirm my email")
    page.goto(link)
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_role("status")).to_contain_text(f"{email} is confirmed")
    me = page.request.get(f"{server}/auth/me")
    assert me.json()["emailVerified"] is True
