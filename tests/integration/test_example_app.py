"""examples/fastapi_existing_app: an app with its own users adds CometChat with the plug-in.

Run as its own process over real HTTP against the emulator: sign in the app's way, get a
CometChat token, log in with it at the emulator as the JS SDK does, log out through the app,
and the token is gone from the emulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.support.emulator_view import emulator_user, token_works
from tests.support.processes import wait_until_up
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def example_app(tmp_path: Path, emulator_url: str) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMETCHAT_", "DATABASE_"))}
    env.update(
        COMETCHAT_APP_ID="testapp",
        COMETCHAT_REST_API_KEY="test-rest-key-0123456789",
        COMETCHAT_API_BASE=f"{emulator_url}/v3",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'example.db'}",
        TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )
    app = "examples.fastapi_existing_app.app:app"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/docs", process, output=lambda: process.communicate()[0])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_example_app_hands_out_a_token_that_dies_with_its_login(
    example_app: str, emulator_url: str
) -> None:
    with httpx.Client(base_url=example_app, timeout=30) as app:
        refused = app.post("/cometchat/token")
        assert refused.status_code == 401, refused.text  # the app's own 401
        wrong = app.post("/login", json={"username": "ann", "password": "not it"})
        assert wrong.status_code == 401
        login = app.post("/login", json={"username": "ann", "password": "correct horse battery"})
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}

        answer = app.post("/cometchat/token", headers=bearer)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        token, uid = body["authToken"], body["cometchat"]["uid"]
        assert body["cometchat"]["appId"] == "testapp"
        # Provisioned through the outbox with the app's own profile.
        created = emulator_user(emulator_url, uid)
        assert created is not None
        assert created["name"] == "Ann"
        assert token_works(emulator_url, token)  # CometChat.login(authToken) works
        # The same token until it rotates; rotating kills the old one.
        assert app.post("/cometchat/token", headers=bearer).json()["authToken"] == token
        rotated = app.post("/cometchat/token", headers=bearer, json={"rotate": True}).json()
        assert rotated["authToken"] != token
        assert not token_works(emulator_url, token)
        assert token_works(emulator_url, rotated["authToken"])

        assert app.post("/logout", headers=bearer).status_code == 204
        assert not token_works(emulator_url, rotated["authToken"])
        # The ended login can get no token again.
        assert app.post("/cometchat/token", headers=bearer).status_code == 401
