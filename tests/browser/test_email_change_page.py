"""Changing the email from the demo page, confirmed from the local mailbox's link."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import ServerFactory
from tests.browser.test_demo_page import PASSWORD, open_page, register, sign_in
from tests.browser.test_email_pages import mailed_link
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser


def test_change_email_then_confirm_from_the_mail(page: Page, start_server: ServerFactory) -> None:
    server = start_server()
    register(server, "Eve Mail", "eve@example.com")
    open_page(page, server)
    sign_in(page, "eve@example.com")

    form = page.locator("#change-email")
    form.get_by_label("New email").fill("eve.new@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Send a confirmation link").click()
    expect(page.get_by_role("status")).to_contain_text("follow the link we mailed to eve.new@")

    # Both mails: the link to the new address, the notice to the old one.
    eventually(lambda: len(httpx.get(f"{server}/dev/mail/index.json").json()["mails"]) == 2)
    page.goto(
        mailed_link(page, server, "Confirm your new email for Demo app", "Confirm my new email")
    )
    expect(page).to_have_url(f"{server}/email/confirm")
    page.get_by_role("button", name="Use this email").click()
    expect(page.get_by_role("status")).to_have_text(
        "Done: your account's email is now eve.new@example.com."
    )
    moved = httpx.post(
        f"{server}/auth/login", json={"email": "eve.new@example.com", "password": PASSWORD}
    )
    assert moved.status_code == 200
