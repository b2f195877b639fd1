"""Local mode as ``make run`` serves it: no certificate step, and the people list through the SDK.

Every browser here is a fresh Chromium that does not trust the emulator's certificate: the page
reaches the emulator through its own origin, never the emulator's TLS port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.harness import Emulator, ServerFactory, page_in
from tests.browser.test_demo_page import (
    expect_signed_in,
    me_in_page,
    open_page,
    register,
    sdk_user,
    sign_in,
    sign_up,
)
from tests.support.emulator_view import set_faults

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def untrusting(launch: Callable[..., Browser]) -> Iterator[Browser]:
    """Chromium with default settings: the emulator's self-signed certificate is not trusted."""
    chromium = launch()
    yield chromium
    chromium.close()


@pytest.fixture
def local_page(untrusting: Browser) -> Iterator[Page]:
    yield from page_in(untrusting)


@pytest.fixture
def local_server(start_server: ServerFactory, emulator: Emulator) -> str:
    """The server as ``make run`` starts it: no COMETCHAT_CLIENT_HOST, the emulator beside it."""
    return start_server(cometchat_client_host=None, local_emulator_url=emulator.http_url)


def signed_up(page: Page, name: str, email: str) -> str:
    """Sign up through the page; returns the new user's uid once the page shows it signed in."""
    sign_up(page, name, email)
    expect(page.locator("#signed-in-title")).to_be_focused()
    uid: str = me_in_page(page)["id"]
    return uid


def people(page: Page) -> list[str]:
    return page.locator("#people-list li strong").all_text_contents()


def test_sign_up_reaches_cometchat_on_the_first_try_and_lists_the_others(
    local_page: Page, local_server: str, emulator: Emulator
) -> None:
    register(local_server, "Grace Hopper", "grace@example.com")
    register(local_server, "<img src=x onerror=alert(1)>", "mallory@example.com")
    to_emulator: list[str] = []
    local_page.on("request", lambda request: to_emulator.append(request.url))
    open_page(local_page, local_server)
    expect(local_page.locator("#cert-notice")).to_be_hidden()

    uid = signed_up(local_page, "Ada Lovelace", "ada@example.com")

    expect_signed_in(local_page, "Ada Lovelace", uid)
    expect(local_page.get_by_role("alert")).to_be_hidden()
    assert sdk_user(local_page) == {"uid": uid, "name": "Ada Lovelace"}
    # The others, through the SDK's UsersRequest; a name is text, never markup.
    expect(local_page.locator("#people-list li")).to_have_count(2)
    assert sorted(people(local_page)) == sorted(["Grace Hopper", "<img src=x onerror=alert(1)>"])
    assert local_page.locator("#people-list img").count() == 0
    expect(local_page.locator("#people-note")).to_be_hidden()
    # Every SDK call went to this page's own origin, none to the emulator's TLS port.
    sdk_calls = [url for url in to_emulator if "/v3.0/" in url]
    assert sdk_calls
    assert all(url.startswith(f"{local_server}/cometchat-emulator/v3.0/") for url in sdk_calls)
    assert not any(url.startswith(emulator.https_url) for url in to_emulator)


def test_the_only_user_sees_an_empty_list(local_page: Page, local_server: str) -> None:
    open_page(local_page, local_server)

    uid = signed_up(local_page, "Solo Person", "solo@example.com")

    expect_signed_in(local_page, "Solo Person", uid)
    expect(local_page.locator("#people-note")).to_have_text(
        "No one else is here yet. People who sign up show up here."
    )
    expect(local_page.locator("#people-list li")).to_have_count(0)


def test_a_reload_does_not_log_the_sdk_in_again(local_page: Page, local_server: str) -> None:
    register(local_server, "Grace Hopper", "grace@example.com")
    open_page(local_page, local_server)
    uid = sign_in(local_page, "grace@example.com")["cometchat"]["uid"]
    expect_signed_in(local_page, "Grace Hopper", uid)
    logins: list[Request] = []
    local_page.on(
        "request",
        lambda request: (
            logins.append(request)
            if request.method == "PUT" and request.url.endswith("/v3.0/me")
            else None
        ),
    )

    open_page(local_page, local_server)  # the SDK's cached settings carry APP_VERSION

    expect_signed_in(local_page, "Grace Hopper", uid)
    expect(local_page.locator("#people-note")).to_have_text(
        "No one else is here yet. People who sign up show up here."
    )
    assert logins == []


def test_a_failing_people_list_says_so(
    local_page: Page, local_server: str, emulator: Emulator
) -> None:
    register(local_server, "Grace Hopper", "grace@example.com")
    open_page(local_page, local_server)
    uid = sign_in(local_page, "grace@example.com")["cometchat"]["uid"]
    expect_signed_in(local_page, "Grace Hopper", uid)

    # CometChat now fails every call; the reload needs none but the people list.
    set_faults(emulator.http_url, errorRate=1.0)
    try:
        open_page(local_page, local_server)
        expect_signed_in(local_page, "Grace Hopper", uid)
        expect(local_page.locator("#people-note")).to_contain_text(
            "The people you can chat with could not be loaded:"
        )
        expect(local_page.locator("#people-list li")).to_have_count(0)
    finally:
        set_faults(emulator.http_url, errorRate=0.0)
    assert httpx.get(f"{local_server}/healthz").status_code == 200
