"""The routes the demo page stands on, over plain HTTP: its config, its files, the SDK's folder."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.harness import Emulator, ServerFactory


def raw_get(base_url: str, path: str) -> int:
    """GET ``path`` exactly as written (httpx would resolve ``..`` before sending)."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_config_tells_the_page_how_to_reach_cometchat(server: str, emulator: Emulator) -> None:
    answer = httpx.get(f"{server}/config.json")

    assert answer.status_code == 200
    keys = emulator.config.apps[0]
    assert answer.json() == {
        "appName": "Demo app",
        "transport": "cookie",
        "cometchat": {
            "appId": keys.app_id,
            "region": "us",
            "clientHost": f"{emulator.https_url.removeprefix('https://')}/v3.0",
            "clientPath": None,
        },
        "local": True,
        "emulatorOrigin": emulator.https_url,
        "sdk": {"installed": True, "url": "/vendor/cometchat/CometChat.js"},
        # PORT left at its default: local mode's RP ID is localhost, never the IP address.
        "passkeys": {"rpId": "localhost", "origin": "http://localhost:8000"},
    }
    assert keys.rest_api_key not in answer.text
    assert keys.auth_key not in answer.text


def test_local_mode_sends_the_sdk_through_this_origin(
    start_server: ServerFactory, emulator: Emulator
) -> None:
    server = start_server(cometchat_client_host=None, local_emulator_url=emulator.http_url)
    config = httpx.get(f"{server}/config.json").json()
    assert config["cometchat"]["clientHost"] is None
    assert config["cometchat"]["clientPath"] == "/cometchat-emulator"
    assert (config["local"], config["emulatorOrigin"]) == (True, None)
    # The emulator's client API answers there, in CometChat's envelope.
    answer = httpx.put(f"{server}/cometchat-emulator/v3.0/me", headers={"authToken": "x_1"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    settings = httpx.get(f"{server}/cometchat-emulator/v3.0/settings").json()["data"]
    assert settings["CLIENT_API_HOST"] == f"{server.removeprefix('http://')}/cometchat-emulator"


def test_the_page_and_its_modules_are_served(server: str) -> None:
    page = httpx.get(server)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text
    for module in ("app.js", "api.js", "chat.js", "page.js", "forms.js"):
        answer = httpx.get(f"{server}/static/{module}")
        assert answer.status_code == 200
        # Browsers run ES modules only when served as JavaScript.
        assert "javascript" in answer.headers["content-type"]


def test_the_sdk_is_served_from_its_folder(server: str) -> None:
    answer = httpx.get(f"{server}/vendor/cometchat/CometChat.js")

    assert answer.status_code == 200
    assert "javascript" in answer.headers["content-type"]
    assert "AppSettingsBuilder" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/cometchat/../../../../pyproject.toml",
        "/vendor/cometchat/..%2F..%2F..%2F..%2Fpyproject.toml",
        "/vendor/cometchat/%2e%2e/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/vendor/cometchat//etc/passwd",
        "/static/../api/web.py",
        "/static/%2e%2e/api/web.py",
    ],
)
def test_nothing_outside_the_served_folders(server: str, path: str) -> None:
    assert raw_get(server, path) == 404
