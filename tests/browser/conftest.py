"""Browser tests: Debian's Chromium, driven by Playwright, against the real server and emulator.

The emulator is served twice, one app object on two ports so both see one state: plain HTTP for the
server's CometChat client, HTTPS for the SDK in the page (it hard-codes https). Chromium trusts the
emulator's self-signed certificate by its public key, and no other bad certificate.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Browser, Page, sync_playwright

from cometchat_auth.app import create_app
from cometchat_auth.emulator import EmulatorConfig, ensure_certificate
from cometchat_auth.emulator import create_app as create_emulator
from cometchat_auth.settings import Settings
from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SDK_DIR,
    Certificate,
    Emulator,
    ServerFactory,
    page_in,
)
from tests.support.servers import serve


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    certfile, keyfile = ensure_certificate(tmp_path_factory.mktemp("emulator-tls"))
    cert = x509.load_pem_x509_certificate(Path(certfile).read_bytes())
    der = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    spki = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return Certificate(Path(certfile), Path(keyfile), spki)


# Package scope, not session: sync Playwright keeps an event loop running in this thread while
# it is open, which would break every asyncio test that runs after the browser tests.
@pytest.fixture(scope="package")
def launch() -> Iterator[Callable[..., Browser]]:
    """Launch Debian's Chromium headless; extra arguments are added to the usual flags."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"BROWSER TESTS CANNOT RUN: {reason}")
        pytest.skip(f"!!! BROWSER TESTS NOT RUN: {reason} !!!")
    with sync_playwright() as playwright:
        # Each launch gets a fresh temporary user data dir from Playwright.
        yield lambda *args: playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *args]
        )


@pytest.fixture(scope="package")
def browser(launch: Callable[..., Browser], certificate: Certificate) -> Iterator[Browser]:
    """Chromium that trusts the emulator's certificate, by its public key, and no other bad one."""
    chromium = launch(f"--ignore-certificate-errors-spki-list={certificate.spki}")
    yield chromium
    chromium.close()


@pytest.fixture
def emulator(emulator_config: EmulatorConfig, certificate: Certificate) -> Iterator[Emulator]:
    app = create_emulator(emulator_config)
    tls = serve(app, ssl_certfile=str(certificate.certfile), ssl_keyfile=str(certificate.keyfile))
    with serve(app) as http_url, tls as https_url:
        yield Emulator(http_url, https_url, emulator_config, app)


@pytest.fixture
def start_server(emulator: Emulator, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start the real server on SQLite against the emulator; keyword arguments override settings."""
    keys = emulator.config.apps[0]
    tls_host = emulator.https_url.removeprefix("https://")

    if not (SDK_DIR / "CometChat.js").is_file():
        reason = f"the CometChat SDK is not in {SDK_DIR}: run `make sdk` (needs npm)"
        if os.environ.get("CI"):
            pytest.fail(f"BROWSER TESTS CANNOT RUN: {reason}")
        pytest.skip(f"!!! BROWSER TESTS NOT RUN: {reason} !!!")
    numbers = itertools.count()

    with ExitStack() as stack:

        def start(**overrides: Any) -> str:
            folder = tmp_path / f"server-{next(numbers)}"
            folder.mkdir()
            values: dict[str, Any] = {
                "app_env": "local",
                "app_name": "Demo app",
                "cometchat_app_id": keys.app_id,
                "cometchat_rest_api_key": keys.rest_api_key,
                "cometchat_api_base": f"{emulator.http_url}/v3",
                "cometchat_client_host": f"{tls_host}/v3.0",
                "database_url": f"sqlite+aiosqlite:///{folder}/auth.db",
                "state_dir": folder,
                "session_transport": "cookie",
                "web_sdk_dir": SDK_DIR,
                # Hashing speed is not what these tests are about.
                "argon2_memory_cost": 64,
                "argon2_time_cost": 1,
                **overrides,
            }
            settings = Settings(_env_file=None, **values)
            # PORT given: served there, so the settings know the address (passkey origins).
            port = overrides.get("port")
            return stack.enter_context(serve(create_app(settings), port=port))

        yield start


@pytest.fixture
def server(start_server: ServerFactory) -> str:
    """The server with the cookie transport and the SDK that `make` installed."""
    return start_server()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from page_in(browser)
