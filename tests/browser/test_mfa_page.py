"""Two-step sign-in on the demo page: set up an authenticator app, then sign in with a code."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Emulator
from tests.browser.test_demo_page import expect_signed_in, open_page, register, sign_in

pytestmark = pytest.mark.browser


def test_set_up_an_authenticator_then_sign_in_with_a_code(
    page: Page, server: str, emulator: Emulator
) -> None:
    uid = register(server, "Otto Code", "otto@example.com")["user"]["id"]
    open_page(page, server)
    sign_in(page, "otto@example.com")
    expect(page.locator("#mfa-state")).to_contain_text("Off")

    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    app = pyotp.TOTP(page.locator("#mfa-secret").inner_text())
    expect(page.get_by_label("Code from the app", exact=True)).to_be_focused()
    page.keyboard.type("000000" if app.now() != "000000" else "111111")
    page.keyboard.press("Enter")
    expect(page.locator("#error")).to_contain_text("That code did not work")
    page.get_by_label("Code from the app", exact=True).fill(app.now())
    page.keyboard.press("Enter")
    expect(page.locator("#mfa-recovery-codes li")).to_have_count(10)
    expect(page.locator("#mfa-state")).to_contain_text("On")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#sign-in")).to_be_visible()
    answer = sign_in(page, "otto@example.com")
    assert answer == {"mfaRequired": True, "mfaToken": answer["mfaToken"]}
    step = page.locator("#mfa-step")
    expect(
        step.get_by_label("Code from your authenticator app, or a recovery code")
    ).to_be_focused()
    page.keyboard.type(app.at(time.time() + 30))  # the next step: the first code is spent
    page.keyboard.press("Enter")
    expect_signed_in(page, "Otto Code", uid)
