"""The demo page's "Your devices": signing another device out deletes its CometChat token."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Emulator
from tests.browser.test_demo_page import PASSWORD, open_page, register, sign_in, valid_tokens

pytestmark = pytest.mark.browser

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.6478.71 Mobile Safari/537.36"
)


def test_sign_out_another_device_then_this_one(page: Page, server: str, emulator: Emulator) -> None:
    uid = register(server, "Dev Ice", "devices@example.com")["user"]["id"]
    phone = httpx.post(
        f"{server}/auth/login",
        json={"email": "devices@example.com", "password": PASSWORD},
        headers={"User-Agent": PHONE},
    ).json()
    open_page(page, server)
    sign_in(page, "devices@example.com")
    devices = page.locator("#device-list li")
    expect(devices).to_have_count(3)  # registration's session, the phone, this page
    expect(page.locator("#devices")).to_contain_text("This device")
    assert phone["authToken"] in valid_tokens(emulator, uid)

    # Keyboard only: focus the phone's button and press Enter.
    page.get_by_role("button", name="Sign out Chrome on Android", exact=True).focus()
    page.keyboard.press("Enter")
    expect(devices).to_have_count(2)
    expect(page.locator("#status")).to_have_text("Signed out Chrome on Android.")
    expect(page.locator("#devices-title")).to_be_focused()
    assert phone["authToken"] not in valid_tokens(emulator, uid)
    assert len(valid_tokens(emulator, uid)) == 2

    page.get_by_role("button", name="(this device)").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert len(valid_tokens(emulator, uid)) == 1
