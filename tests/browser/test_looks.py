"""Each page as a person sees it, on a laptop and on a phone: screenshots, and nothing sticks out.

The screenshots land in the ignored ``var/screenshots/`` for a person to look at; the test fails
when the page scrolls sideways or a text (a long name, email or uid) runs out of its box.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import ServerFactory

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"
# As long as a name and an email may be, with no space to break at.
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 2 + "-Featherstonehaugh"
LONG_EMAIL = f"{'x' * 60}@{'averyveryverylongsubdomain' * 2}.example.com"

VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}

# Elements whose box reaches past the page's width, or past their own box's edge.
OVERFLOWING = """() => {
    const wide = document.documentElement.scrollWidth > window.innerWidth;
    const boxes = [...document.querySelectorAll("main *")].filter(
        (element) => element.checkVisibility() && element.scrollWidth > element.clientWidth + 1,
    );
    return [wide ? ["page"] : [], boxes.map((element) => element.id || element.tagName)].flat();
}"""


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def look(page: Page, name: str) -> None:
    """Save what the person sees, then check that nothing runs out of its box."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    assert page.evaluate(OVERFLOWING) == [], f"{name} overflows"


def ready(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body[data-ready=true]")).to_be_attached()


def test_the_demo_page_fits(screen: Page, start_server: ServerFactory) -> None:
    server = start_server()
    ready(screen, server)
    look(screen, "sign-in")

    screen.get_by_role("button", name="Create an account").click()
    look(screen, "sign-up")

    screen.get_by_role("button", name="Sign in").click()
    form = screen.locator("#sign-in")
    form.get_by_label("Email").fill("nobody@example.com")
    form.get_by_label("Password").fill("not the password")
    form.get_by_role("button", name="Sign in").click()
    expect(screen.get_by_role("alert")).to_have_text("Wrong email or password.")
    look(screen, "wrong-password")

    body = {"name": LONG_NAME, "email": LONG_EMAIL, "password": PASSWORD}
    assert httpx.post(f"{server}/auth/register", json=body).status_code == 201
    form.get_by_label("Email").fill(LONG_EMAIL)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(screen.locator("#chat-user")).to_contain_text(f"Signed in to CometChat as {LONG_NAME}")
    look(screen, "signed-in-long")


def test_the_mail_pages_fit(screen: Page, start_server: ServerFactory) -> None:
    server = start_server()
    body = {"name": LONG_NAME, "email": LONG_EMAIL, "password": PASSWORD}
    assert httpx.post(f"{server}/auth/register", json=body).status_code == 201
    ready(screen, f"{server}/forgot")
    look(screen, "forgot")
    screen.get_by_label("Email").fill(LONG_EMAIL)
    screen.get_by_role("button", name="Send me a link").click()
    expect(screen.get_by_role("status")).to_contain_text("on its way")
    look(screen, "forgot-sent")

    ready(screen, f"{server}/reset?token={'x' * 43}")
    look(screen, "reset")
    screen.get_by_label("New password", exact=True).fill("short")
    screen.get_by_role("button", name="Set my new password").click()
    expect(screen.get_by_role("alert")).to_be_visible()
    look(screen, "reset-error")

    subject = "Reset your password for Demo app"
    deadline = time.monotonic() + 15  # the outbox writes the mail after the answer
    while subject not in httpx.get(f"{server}/dev/mail/index.json").text:
        assert time.monotonic() < deadline, "no mail was written"
        time.sleep(0.1)
    ready(screen, f"{server}/dev/mail")
    expect(screen.get_by_role("link", name=subject)).to_be_visible()
    look(screen, "mail")
