"""``serve`` with LOG_FORMAT=json and LOG_LEVEL=DEBUG: every line is one JSON object, requests
carry their id, and no line holds a secret (REST key, tokens, passwords, mailed links)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx

from tests.integration.test_cli import CLI, clean_env
from tests.support.auth_server import PASSWORD
from tests.support.processes import wait_until_up
from tests.support.servers import free_port
from tests.support.waiting import eventually

NEW_PASSWORD = "another horse battery"


def _link_token(path: Path) -> str:
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"token=([\w-]+)", text)
    assert found is not None
    return found.group(1)


def _scripted_flow(url: str, state_dir: Path) -> list[str]:
    """Sign up, in and out, refresh, fail, reset a password; the secrets handed out on the way."""
    secrets = [PASSWORD, NEW_PASSWORD]
    with httpx.Client(base_url=url, timeout=30) as client:
        email = "logs@example.com"
        registered = client.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Lou"}
        )
        assert registered.status_code == 201, registered.text
        body = registered.json()
        secrets += [body["accessToken"], body["refreshToken"], body["authToken"]]
        wrong = client.post("/auth/login", json={"email": email, "password": "not " + PASSWORD})
        assert wrong.status_code == 401
        login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200
        body = login.json()
        secrets += [body["accessToken"], body["refreshToken"], body["authToken"]]
        me = client.get(
            "/auth/me",
            headers={"Authorization": f"Bearer {body['accessToken']}", "X-Request-ID": "trace-42"},
        )
        assert me.status_code == 200
        assert me.headers["X-Request-ID"] == "trace-42"
        refreshed = client.post("/auth/refresh", json={"refreshToken": body["refreshToken"]})
        assert refreshed.status_code == 200
        body = refreshed.json()
        secrets += [body["accessToken"], body["refreshToken"], body["authToken"]]
        chat = client.post(
            "/cometchat/token", headers={"Authorization": f"Bearer {body['accessToken']}"}
        )
        assert chat.status_code == 200, chat.text
        secrets.append(chat.json()["authToken"])
        assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
        mails = state_dir / "mail"
        eventually(lambda: any(mails.glob("*.eml")), within=10)
        link_token = _link_token(next(mails.glob("*.eml")))
        secrets.append(link_token)
        reset = client.post(
            "/auth/password/reset", json={"token": link_token, "password": NEW_PASSWORD}
        )
        assert reset.status_code == 204, reset.text
        login = client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
        body = login.json()
        secrets += [body["accessToken"], body["refreshToken"], body["authToken"]]
        logout = client.post(
            "/auth/logout", headers={"Authorization": f"Bearer {body['accessToken']}"}
        )
        assert logout.status_code == 204
        assert client.get(f"/auth/login?password={PASSWORD}").status_code == 400
    return [secret for secret in secrets if secret]


def test_json_logs_at_debug_carry_request_ids_and_no_secret(tmp_path: Path) -> None:
    port, emulator_port, tls_port = free_port(), free_port(), free_port()
    state_dir = tmp_path / "var"
    env = clean_env(
        PORT=str(port),
        EMULATOR_PORT=str(emulator_port),
        EMULATOR_TLS_PORT=str(tls_port),
        STATE_DIR=str(state_dir),
        ARGON2_MEMORY_COST="64",
        ARGON2_TIME_COST="1",
        LOG_FORMAT="json",
        LOG_LEVEL="debug",
    )
    log_file = tmp_path / "server.log"
    with log_file.open("w") as sink:
        process = subprocess.Popen(
            [CLI, "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/healthz", process, output=log_file.read_text)
            secrets = _scripted_flow(url, state_dir)
            time.sleep(0.5)  # the outbox's last CometChat calls
        finally:
            process.terminate()
            process.wait(timeout=30)
    secrets.append(json.loads((state_dir / "emulator" / "keys.json").read_text())["rest_api_key"])

    lines = log_file.read_text().splitlines()
    entries: list[dict[str, Any]] = [json.loads(line) for line in lines]  # each line is JSON
    assert len(entries) > 20
    assert {"DEBUG", "INFO"} <= {entry["level"] for entry in entries}
    assert any(entry["logger"].startswith("httpcore") for entry in entries)  # DEBUG reaches it
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"a secret in: {line[:200]}"

    access = [entry for entry in entries if entry["logger"] == "cometchat_auth.access"]
    me = next(entry for entry in access if entry["route"] == "/auth/me")
    assert me["request_id"] == "trace-42"
    assert me["status"] == 200
    assert me["method"] == "GET"
    assert me["duration_ms"] >= 0
    assert me["user_id"]  # the signed-in account
    logins = [entry for entry in access if entry["route"] == "/auth/login"]
    assert {entry["status"] for entry in logins} == {200, 401}
    # Refused before routing (a password in the URL): logged without its path.
    assert any(entry["route"] is None and entry["status"] == 400 for entry in access)
    assert len({entry["request_id"] for entry in access}) == len(access)  # one id per request
    # The CometChat calls made while serving /auth/me's neighbours carry their request's id.
    assert any(
        entry["logger"] == "cometchat_auth.cometchat" and entry.get("request_id")
        for entry in entries
    )
