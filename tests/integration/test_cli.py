"""The command line in subprocesses: ``users`` against a SQLite file, ``serve`` in local mode."""

from __future__ import annotations

import json
import os
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.auth_server import (
    ENCRYPTION_KEY,
    PASSWORD,
    SECRET_KEY,
    isolated_settings,
    serve_auth,
)
from tests.support.emulator_view import REST_KEY, emulator_user, token_works
from tests.support.processes import wait_until_up
from tests.support.servers import free_port
from tests.support.waiting import eventually

CLI = str(Path(sys.executable).parent / "cometchat-auth")


def clean_env(**values: str) -> dict[str, str]:
    """The process environment without any setting of ours, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMETCHAT_", "DATABASE_"))}
    env.update(values)
    return env


def cli(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def beside_server_env(database_url: str, emulator_url: str, state_dir: Path) -> dict[str, str]:
    """The commands' environment beside a running test server: its database, emulator and keys
    (its outbox worker may run the jobs a command queues, so they must be readable to it)."""
    return clean_env(
        DATABASE_URL=database_url,
        COMETCHAT_APP_ID="testapp",
        COMETCHAT_REST_API_KEY=REST_KEY["apikey"],
        COMETCHAT_API_BASE=f"{emulator_url}/v3",
        STATE_DIR=str(state_dir),
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=ENCRYPTION_KEY,
    )


def emulator_env(database_url: str, emulator_url: str, state_dir: Path) -> dict[str, str]:
    """The commands' environment: this database, the test emulator's app, cheap argon2."""
    return clean_env(
        DATABASE_URL=database_url,
        COMETCHAT_APP_ID="testapp",
        COMETCHAT_REST_API_KEY="test-rest-key-0123456789",
        COMETCHAT_API_BASE=f"{emulator_url}/v3",
        STATE_DIR=str(state_dir),
        ARGON2_MEMORY_COST="64",
        ARGON2_TIME_COST="1",
    )


def test_users_create_list_delete(tmp_path: Path, emulator_url: str) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = emulator_env(database_url, emulator_url, tmp_path / "state")
    email = "Operator.Made@Example.com"
    created = cli(
        ["users", "create", "--email", email, "--name", "Olive", "--password", PASSWORD],
        env=env,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    uid = created.stdout.split("(id ")[1].split(")")[0]
    assert emulator_user(emulator_url, uid) is not None

    again = cli(
        ["users", "create", "--email", email.lower(), "--name", "O", "--password", PASSWORD],
        env=env,
        cwd=tmp_path,
    )
    assert again.returncode == 1
    assert "already exists" in again.stdout

    listed = cli(["users", "list"], env=env, cwd=tmp_path)
    assert listed.returncode == 0
    assert "Operator.Made@example.com\tOlive" in listed.stdout

    # The account signs in through the server, with a CometChat token.
    settings = isolated_settings(
        state_dir=tmp_path / "state",
        database_url=database_url,
        cometchat_api_base=f"{emulator_url}/v3",
    )
    with serve_auth(settings) as url:
        login = httpx.post(f"{url}/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200
        assert token_works(emulator_url, login.json()["authToken"])

    deleted = cli(["users", "delete", email, "--yes"], env=env, cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert emulator_user(emulator_url, uid) is None
    assert email not in cli(["users", "list"], env=env, cwd=tmp_path).stdout
    missing = cli(["users", "delete", email, "--yes"], env=env, cwd=tmp_path)
    assert missing.returncode == 1


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[str, int, Path, subprocess.Popen[str]]]:
    """``cometchat-auth serve`` with no CometChat credentials, on free ports, in a temp folder."""
    port, emulator_port, tls_port = free_port(), free_port(), free_port()
    env = clean_env(
        EMULATOR_PORT=str(emulator_port),
        EMULATOR_TLS_PORT=str(tls_port),
        STATE_DIR=str(tmp_path / "var"),
        ARGON2_MEMORY_COST="64",
        ARGON2_TIME_COST="1",
    )
    process = subprocess.Popen(
        # The flags, not PORT: what is served must win over the settings (links in mails).
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process, output=lambda: process.communicate()[0])
        yield url, tls_port, tmp_path / "var", process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_in_local_mode_runs_the_emulator_and_its_tokens_work_over_https(
    local_server: tuple[str, int, Path, subprocess.Popen[str]],
) -> None:
    url, tls_port, state_dir, process = local_server
    emulator_tls = f"https://127.0.0.1:{tls_port}"
    cert = ssl.create_default_context(cafile=state_dir / "emulator" / "cert.pem")
    with httpx.Client(base_url=url) as client:
        registered = client.post(
            "/auth/register",
            json={"email": "ann@example.com", "password": PASSWORD, "name": "Ann"},
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["cometchat"]["appId"] == "local-app"
        login = client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
        assert login.status_code == 200
        body = login.json()
        assert token_works(emulator_tls, body["authToken"], verify=cert)
        # The page's SDK reaches the same emulator through the server's own origin.
        assert token_works(f"{url}/cometchat-emulator", body["authToken"])
        headers = {"Authorization": f"Bearer {body['accessToken']}"}
        assert client.post("/auth/logout", headers=headers).status_code == 204
        assert not token_works(emulator_tls, body["authToken"], verify=cert)
        assert not token_works(f"{url}/cometchat-emulator", body["authToken"])
        refused = client.get(f"/auth/login?password={PASSWORD}")
        assert refused.status_code == 400

    process.terminate()
    output, _ = process.communicate(timeout=30)
    assert "local emulator" in output
    assert emulator_tls in output
    # 127.0.0.1 cannot hold passkeys: the same server by name is printed for them.
    assert f"Passkeys:  {url.replace('127.0.0.1', 'localhost')}" in output
    rest_key = json.loads((state_dir / "emulator" / "keys.json").read_text())["rest_api_key"]
    assert rest_key not in output
    assert "/auth/login" in output  # the access log is kept...
    assert PASSWORD not in output  # ...without query strings
    assert body["authToken"] not in output


def test_state_files_are_readable_by_the_server_s_user_only(
    local_server: tuple[str, int, Path, subprocess.Popen[str]],
) -> None:
    # The database holds password hashes and the audit log (IPs); the folder, keys and mails.
    url, _, state_dir, _ = local_server
    with httpx.Client(base_url=url) as client:
        registered = client.post(
            "/auth/register", json={"email": "ann@example.com", "password": PASSWORD, "name": "A"}
        )
        assert registered.status_code == 201, registered.text
    database = state_dir / "cometchat-auth.db"
    files = [database, database.with_name(database.name + "-wal")]
    files.append(database.with_name(database.name + "-shm"))
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {
        path.name: 0o600 for path in files
    }
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700


def test_mail_links_point_at_the_address_served(
    local_server: tuple[str, int, Path, subprocess.Popen[str]],
) -> None:
    # Served with --port, not on PORT's 8000: whoever binds 8000 must not receive the links.
    url, _, _, _ = local_server
    with httpx.Client(base_url=url) as client:
        body = {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}
        assert client.post("/auth/register", json=body).status_code == 201
        forgot = client.post("/auth/password/forgot", json={"email": "ann@example.com"})
        assert forgot.status_code == 202
        mails = eventually(lambda: client.get("/dev/mail/index.json").json()["mails"])
        html = client.get(f"/dev/mail/{mails[0]['name']}").text
    assert f'href="{url}/reset?token=' in html


def test_serve_refuses_production_without_its_settings(tmp_path: Path) -> None:
    result = cli(["serve"], env=clean_env(APP_ENV="production"), cwd=tmp_path)
    assert result.returncode == 2
    assert "COMETCHAT_APP_ID" in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])  # noqa: S104 (refused)
def test_serve_refuses_local_mode_on_a_public_interface(tmp_path: Path, host: str) -> None:
    # Local mode shows every mail (reset links) at /dev/mail: it must not reach other machines.
    result = cli(["serve", "--host", host], env=clean_env(APP_ENV="local"), cwd=tmp_path)
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert "APP_ENV=production" in result.stderr
