"""What the browser tests share: the Chromium to drive, the servers they start, the SDK's folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page
from starlette.applications import Starlette

from cometchat_auth.emulator import EmulatorConfig
from cometchat_auth.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Where `make sdk` installs the CometChat SDK: the default ``web_sdk_dir``, from the repo root.
SDK_DIR = Path(__file__).resolve().parents[2] / Settings.model_fields["web_sdk_dir"].default


@dataclass(frozen=True)
class Emulator:
    http_url: str  # for the server
    https_url: str  # for the browser
    config: EmulatorConfig
    app: Starlette  # served on both ports; a test may serve it on a third


@dataclass(frozen=True)
class Certificate:
    certfile: Path
    keyfile: Path
    spki: str  # base64 SHA-256 of the public key: what Chromium is told to trust


ServerFactory = Callable[..., str]


def page_in(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context of ``browser`` (its own storage), closed after the test."""
    context = browser.new_context(viewport={"width": 900, "height": 760})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
