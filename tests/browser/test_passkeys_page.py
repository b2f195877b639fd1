"""Passkeys end to end in Chromium, with the DevTools virtual authenticator (CTAP2, internal,
resident keys, user verification): register one, sign out, sign in with it, reach CometChat."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import ServerFactory
from tests.browser.test_demo_page import expect_signed_in, open_page, register, sign_in
from tests.support.servers import free_port

pytestmark = pytest.mark.browser


def virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_register_a_passkey_sign_out_and_sign_in_with_it(
    page: Page, start_server: ServerFactory
) -> None:
    port = free_port()
    server = start_server(port=port)  # local mode: the RP ID is localhost
    uid = register(server, "Pat Key", "pat@example.com")["user"]["id"]
    virtual_authenticator(page)
    local = f"http://localhost:{port}"
    open_page(page, local)
    sign_in(page, "pat@example.com")
    expect_signed_in(page, "Pat Key", uid)

    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#status")).to_contain_text("Added Passkey")
    passkeys = page.locator("#passkey-list li")
    expect(passkeys).to_have_count(1)
    page.get_by_label("New name for Passkey").fill("Laptop")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator("#passkey-list")).to_contain_text("Laptop")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#sign-in")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/auth/passkey/login")) as login:
        page.get_by_role("button", name="Sign in with a passkey").click()
    assert login.value.status == 200
    body = login.value.json()
    assert body["user"]["id"] == uid
    assert body["authToken"]  # as a password login answers: the CometChat token too
    expect_signed_in(page, "Pat Key", uid)
    expect(page.locator("#passkey-list")).to_contain_text("last used")


def test_a_page_on_the_ip_address_links_to_localhost_for_passkeys(
    page: Page, start_server: ServerFactory
) -> None:
    port = free_port()
    server = start_server(port=port)
    open_page(page, server)  # http://127.0.0.1:PORT: not a valid RP ID
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    link = page.get_by_role("link", name=f"http://localhost:{port}")
    expect(link).to_have_attribute("href", f"http://localhost:{port}")
    config = httpx.get(f"{server}/config.json").json()
    assert config["passkeys"] == {"rpId": "localhost", "origin": f"http://localhost:{port}"}
