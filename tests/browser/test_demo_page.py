"""The demo page in a real Chromium, with the real CometChat SDK talking to the emulator."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Emulator, ServerFactory
from tests.support.servers import free_port, serve

pytestmark = pytest.mark.browser

# Written on every run into the ignored var/ (the uid is random);
# docs/screenshot.png is a copy of one.
SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "signed-in.png"
PASSWORD = "correct horse battery staple"


def open_page(page: Page, server: str) -> None:
    page.goto(server)
    # The page marks itself ready once the SDK is started and any session is restored.
    expect(page.locator("body[data-ready=true]")).to_be_attached()


def register(server: str, name: str, email: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server}/auth/register", json={"name": name, "email": email, "password": PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def sign_in(page: Page, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in with the keyboard only; returns our server's answer to the page."""
    form = page.locator("#sign-in")
    form.get_by_label("Email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_response(lambda response: response.url.endswith("/auth/login")) as login:
        page.keyboard.press("Enter")
    body: dict[str, Any] = login.value.json()
    return body


def sign_up(page: Page, name: str, email: str) -> None:
    """Fill in and send the sign-up form."""
    page.get_by_role("button", name="Create an account").click()
    form = page.locator("#sign-up")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()


def sdk_user(page: Page) -> dict[str, str] | None:
    """Who the CometChat SDK itself says is logged in."""
    user: dict[str, str] | None = page.evaluate(
        """async () => {
            const user = await CometChat.getLoggedinUser();
            return user && { uid: user.getUid(), name: user.getName() };
        }"""
    )
    return user


def me_in_page(page: Page) -> dict[str, Any]:
    """``GET /auth/me`` from the page, with its cookies (cookie transport)."""
    me: dict[str, Any] = page.evaluate("fetch('/auth/me').then((answer) => answer.json())")
    return me


def valid_tokens(emulator: Emulator, uid: str) -> list[str]:
    """The user's auth tokens that the emulator still accepts, from its admin listing."""
    keys = emulator.config.apps[0]
    answer = httpx.get(
        f"{emulator.http_url}/_emulator/apps/{keys.app_id}/users",
        headers={"apikey": keys.rest_api_key},
    )
    answer.raise_for_status()
    users = {user["uid"]: user for user in answer.json()["data"]}
    return [token["authToken"] for token in users[uid]["authTokens"]]


def expect_signed_in(page: Page, name: str, uid: str) -> None:
    expect(page.locator("#chat-user")).to_have_text(f"Signed in to CometChat as {name} ({uid})")


def test_sign_up_through_the_page(page: Page, server: str, emulator: Emulator) -> None:
    open_page(page, server)
    # Local mode tells a person where to trust the emulator's certificate once.
    expect(page.get_by_role("link", name=emulator.https_url)).to_have_attribute(
        "href", emulator.https_url
    )

    page.get_by_role("button", name="Create an account").click()
    form = page.locator("#sign-up")
    expect(form.get_by_label("Name")).to_be_focused()
    form.get_by_label("Name").fill("Ada Lovelace")
    form.get_by_label("Email").fill("ada@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()

    me = None
    expect(page.locator("#signed-in-title")).to_be_focused()
    me = me_in_page(page)
    assert me["email"] == "ada@example.com"
    expect_signed_in(page, "Ada Lovelace", me["id"])
    expect(page.locator("#cert-notice")).to_be_hidden()  # the SDK got through: no need any more
    assert sdk_user(page) == {"uid": me["id"], "name": "Ada Lovelace"}
    assert len(valid_tokens(emulator, me["id"])) == 1

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    card = page.locator("main").bounding_box()
    assert card is not None
    margin = 24  # the card and a little of the page around it
    page.screenshot(
        path=SCREENSHOT,
        clip={
            "x": card["x"] - margin,
            "y": card["y"] - margin,
            "width": card["width"] + 2 * margin,
            "height": card["height"] + 2 * margin,
        },
    )


@pytest.mark.parametrize("transport", ["cookie", "bearer"])
def test_sign_in_logs_the_sdk_in_as_the_same_user(
    page: Page, start_server: ServerFactory, transport: str
) -> None:
    server = start_server(session_transport=transport)
    register(server, "Grace Hopper", "grace@example.com")
    open_page(page, server)

    answer = sign_in(page, "grace@example.com")

    expect(page.locator("#signed-in-title")).to_be_focused()
    if transport == "cookie":
        me = me_in_page(page)
    else:
        headers = {"Authorization": f"Bearer {answer['accessToken']}"}
        me = httpx.get(f"{server}/auth/me", headers=headers).json()
        # Tokens live in the page's memory only: nothing a script could read back later.
        stored = page.evaluate(
            "JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])"
        )
        assert answer["accessToken"] not in stored
        assert answer["refreshToken"] not in stored
    expect_signed_in(page, "Grace Hopper", me["id"])
    assert sdk_user(page) == {"uid": me["id"], "name": "Grace Hopper"}


def test_wrong_password_says_so_and_leaves_the_sdk_logged_out(page: Page, server: str) -> None:
    register(server, "Alan Turing", "alan@example.com")
    open_page(page, server)

    answer = sign_in(page, "alan@example.com", "not the password")

    assert answer["error"]["code"] == "INVALID_CREDENTIALS"
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.locator("#sign-in").get_by_label("Password")).to_be_focused()
    expect(page.locator("#signed-in")).to_be_hidden()
    assert sdk_user(page) is None


def test_sign_out_logs_out_the_sdk_and_deletes_the_cometchat_token(
    page: Page, server: str, emulator: Emulator
) -> None:
    register(server, "Edsger Dijkstra", "edsger@example.com")
    open_page(page, server)
    answer = sign_in(page, "edsger@example.com")
    uid = answer["cometchat"]["uid"]
    expect_signed_in(page, "Edsger Dijkstra", uid)
    assert answer["authToken"] in valid_tokens(emulator, uid)

    page.get_by_role("button", name="Sign out", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Signed out.")
    expect(page.locator("#sign-in").get_by_label("Email")).to_be_focused()
    assert sdk_user(page) is None
    assert answer["authToken"] not in valid_tokens(emulator, uid)
    assert page.evaluate("fetch('/auth/me').then((answer) => answer.status)") == 401


def test_reload_keeps_a_cookie_session_signed_in(page: Page, server: str) -> None:
    register(server, "Barbara Liskov", "barbara@example.com")
    open_page(page, server)
    uid = sign_in(page, "barbara@example.com")["cometchat"]["uid"]
    expect_signed_in(page, "Barbara Liskov", uid)

    open_page(page, server)  # a fresh load of the page, as a reload is

    expect_signed_in(page, "Barbara Liskov", uid)
    assert sdk_user(page) == {"uid": uid, "name": "Barbara Liskov"}


def test_without_the_sdk_the_page_still_signs_in_and_says_so(
    page: Page, start_server: ServerFactory, tmp_path: Path
) -> None:
    empty = tmp_path / "no-sdk"
    empty.mkdir()
    server = start_server(web_sdk_dir=empty)
    register(server, "Ken Thompson", "ken@example.com")
    open_page(page, server)
    expect(page.locator("#sdk-missing")).to_contain_text("The CometChat SDK is not installed")

    sign_in(page, "ken@example.com")

    expect(page.locator("#account")).to_have_text("Your account: Ken Thompson <ken@example.com>")
    expect(page.locator("#chat-user")).to_have_text(
        "Not signed in to CometChat: the CometChat SDK is not installed."
    )
    assert page.evaluate("typeof window.CometChat") == "undefined"


def test_the_page_waits_out_a_cometchat_outage(
    page: Page, start_server: ServerFactory, emulator: Emulator
) -> None:
    # CometChat is down: nothing listens where the server looks for it (a real refused connection).
    port = free_port()
    server = start_server(
        cometchat_api_base=f"http://127.0.0.1:{port}/v3",
        cometchat_timeout=1,
        cometchat_deadline=2,
        cometchat_breaker_reset=1,
        outbox_backoff_base=0.2,
        outbox_backoff_cap=1,
        outbox_poll_interval=0.2,
    )
    open_page(page, server)
    sign_up(page, "Linus", "linus@example.com")

    # Signed in to the app all the same, and told why not to CometChat.
    expect(page.locator("#account")).to_have_text("Your account: Linus <linus@example.com>")
    expect(page.locator("#chat-user")).to_contain_text("CometChat is unavailable right now")
    assert sdk_user(page) is None

    # CometChat comes back (the same emulator, now at that address too): the page logs in itself.
    with serve(emulator.app, port=port):
        me = me_in_page(page)
        expect(page.locator("#chat-user")).to_have_text(
            f"Signed in to CometChat as Linus ({me['id']})", timeout=30_000
        )
        assert sdk_user(page) == {"uid": me["id"], "name": "Linus"}


def test_an_untrusted_emulator_certificate_is_explained(
    launch: Callable[..., Browser], server: str, emulator: Emulator
) -> None:
    register(server, "Tim Berners-Lee", "tim@example.com")
    untrusting = launch()  # a browser that was never told about the emulator's certificate
    try:
        page = untrusting.new_page()
        open_page(page, server)

        sign_in(page, "tim@example.com")

        expect(page.locator("#account")).to_have_text(
            "Your account: Tim Berners-Lee <tim@example.com>"
        )
        expect(page.get_by_role("alert")).to_contain_text("trust its certificate")
        expect(page.get_by_role("link", name=emulator.https_url)).to_be_visible()
        assert sdk_user(page) is None
    finally:
        untrusting.close()


def test_a_short_password_is_pointed_out(page: Page, server: str) -> None:
    open_page(page, server)
    page.get_by_role("button", name="Create an account").click()
    form = page.locator("#sign-up")
    form.get_by_label("Name").fill("Short")
    form.get_by_label("Email").fill("short@example.com")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert")).to_contain_text("Please check the form. Password:")
    expect(form.get_by_label("Password")).to_be_focused()
    expect(form.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert sdk_user(page) is None


def test_reload_with_the_bearer_transport_forgets_the_session(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(session_transport="bearer")
    register(server, "Margaret Hamilton", "margaret@example.com")
    open_page(page, server)
    uid = sign_in(page, "margaret@example.com")["cometchat"]["uid"]
    expect_signed_in(page, "Margaret Hamilton", uid)

    open_page(page, server)  # the tokens were in the old page's memory only

    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    assert sdk_user(page) is None


def test_a_cookie_session_outlives_its_access_token(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(access_token_ttl=1, access_token_leeway=0)
    register(server, "Frances Allen", "frances@example.com")
    open_page(page, server)
    uid = sign_in(page, "frances@example.com")["cometchat"]["uid"]
    expect_signed_in(page, "Frances Allen", uid)
    page.wait_for_timeout(2_500)  # the access token (and its cookie) is gone by now

    open_page(page, server)  # the page refreshes the session with the refresh cookie

    expect_signed_in(page, "Frances Allen", uid)
    expect(page.get_by_role("alert")).to_be_hidden()


def test_bearer_sign_out_after_the_access_token_expired(
    page: Page, start_server: ServerFactory, emulator: Emulator
) -> None:
    server = start_server(session_transport="bearer", access_token_ttl=1, access_token_leeway=0)
    register(server, "Donald Knuth", "donald@example.com")
    open_page(page, server)
    answer = sign_in(page, "donald@example.com")
    uid = answer["cometchat"]["uid"]
    expect_signed_in(page, "Donald Knuth", uid)
    page.wait_for_timeout(2_500)  # the access token in the page's memory has expired

    page.get_by_role("button", name="Sign out", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Signed out.")
    expect(page.get_by_role("alert")).to_be_hidden()
    # The page refreshed its tokens and really ended the session on the server.
    assert answer["authToken"] not in valid_tokens(emulator, uid)


@pytest.mark.parametrize("transport", ["cookie", "bearer"])
def test_calls_that_find_the_access_token_expired_together_share_one_refresh(
    page: Page, start_server: ServerFactory, transport: str
) -> None:
    # "exp" counts whole seconds, rounded up: the token lives one to two seconds.
    server = start_server(session_transport=transport, access_token_ttl=1, access_token_leeway=0)
    register(server, "Barbara Liskov", "barbara@example.com")
    open_page(page, server)
    uid = sign_in(page, "barbara@example.com")["cometchat"]["uid"]
    expect_signed_in(page, "Barbara Liskov", uid)
    page.wait_for_timeout(2_500)  # the access token has expired

    # Both get 401 at once; two refreshes with one refresh token would end the session.
    answers = page.evaluate(
        """async () => {
            const api = await import("/static/api.js");
            const [me, chat] = await Promise.all([api.me(), api.cometchatToken()]);
            return { me: me.id, chat: Boolean(chat.authToken), again: (await api.me()).id };
        }"""
    )

    assert answers == {"me": uid, "chat": True, "again": uid}
    expect_signed_in(page, "Barbara Liskov", uid)


def test_private_registration_through_the_page_says_to_check_the_mail(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(registration_mode="private")
    open_page(page, server)
    sign_up(page, "Grace Hopper", "grace@example.com")

    expect(page.get_by_role("status")).to_contain_text("check your mail")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()


def test_chat_waits_for_a_verified_email_when_the_app_asks_for_one(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(require_verified_email_for_chat=True)
    register(server, "Hedy Lamarr", "hedy@example.com")
    open_page(page, server)

    sign_in(page, "hedy@example.com")

    expect(page.locator("#account")).to_have_text("Your account: Hedy Lamarr <hedy@example.com>")
    expect(page.locator("#chat-user")).to_contain_text("confirm your email address first")
    expect(page.get_by_role("alert")).to_be_hidden()
    assert sdk_user(page) is None


def test_too_many_attempts_say_how_long_to_wait(page: Page, start_server: ServerFactory) -> None:
    server = start_server(rate_limit_login_account="2/minute")
    register(server, "Ada Lovelace", "ada@example.com")
    open_page(page, server)
    for _ in range(2):
        sign_in(page, "ada@example.com", "not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        page.locator("#sign-in").get_by_label("Email").fill("")

    answer = sign_in(page, "ada@example.com")  # even the right password waits its turn

    assert answer["error"]["code"] == "RATE_LIMITED"
    waiting = re.compile(r"Too many attempts\. Try again in \d+ seconds?\.")
    expect(page.get_by_role("alert")).to_have_text(waiting)
    assert sdk_user(page) is None


def tab_to(page: Page, text: str) -> None:
    """Press Tab until the focused control reads ``text``, as a keyboard user would."""
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    pytest.fail(f"Tab never reaches {text!r}")


def test_sign_up_sign_in_and_sign_out_with_the_keyboard_only(page: Page, server: str) -> None:
    open_page(page, server)

    tab_to(page, "Create an account")
    page.keyboard.press("Enter")
    expect(page.locator("#sign-up").get_by_label("Name")).to_be_focused()
    for text in ("Katherine Johnson", "katherine@example.com", PASSWORD):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on "Create account", after the password's hint
    expect(page.locator("#signed-in-title")).to_be_focused()
    uid = me_in_page(page)["id"]
    expect_signed_in(page, "Katherine Johnson", uid)

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    expect(page.locator("#sign-in").get_by_label("Email")).to_be_focused()

    page.keyboard.type("katherine@example.com")  # the page put the keyboard on the email
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#signed-in-title")).to_be_focused()
    expect_signed_in(page, "Katherine Johnson", uid)
    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    assert sdk_user(page) is None
