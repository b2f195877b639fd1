"""``cometchat-auth doctor`` against real parts: the emulator, SMTP servers, a closed Redis port."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cometchat_auth.ops.doctor import examine
from cometchat_auth.ops.findings import Finding, Status
from tests.integration.test_cli import CLI, clean_env
from tests.support.auth_server import isolated_settings
from tests.support.servers import free_port
from tests.support.smtp import smtp_server


def findings(tmp_path: Path, **overrides: Any) -> dict[str, Finding]:
    values: dict[str, Any] = {
        "state_dir": tmp_path / "state",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        "cometchat_api_base": "http://127.0.0.1:9/v3",
        "argon2_memory_cost": 19456,
        "argon2_time_cost": 2,
    }
    values.update(overrides)
    return {finding.check: finding for finding in asyncio.run(examine(isolated_settings(**values)))}


def test_passes_in_local_mode_from_a_clean_folder(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "doctor"],
        env=clean_env(STATE_DIR=str(tmp_path / "var")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "0 FAIL" in result.stdout
    assert "serve runs the local emulator" in result.stdout
    assert not (tmp_path / "var" / "cometchat-auth.db").exists()  # doctor changes nothing


def test_cometchat_keys_valid_wrong_and_auth_only(tmp_path: Path, emulator_url: str) -> None:
    base = f"{emulator_url}/v3"
    good = findings(tmp_path, cometchat_api_base=base)
    assert good["CometChat REST key"].status is Status.PASS
    assert good["CometChat reachable"].status is Status.PASS

    wrong = findings(tmp_path, cometchat_api_base=base, cometchat_rest_api_key="not-the-key")
    assert wrong["CometChat REST key"].status is Status.FAIL
    assert "refused the key" in wrong["CometChat REST key"].detail
    assert "not-the-key" not in repr(wrong)

    auth_only = findings(
        tmp_path, cometchat_api_base=base, cometchat_rest_api_key="test-auth-key-0123456789"
    )
    assert auth_only["CometChat key scope"].status is Status.FAIL
    assert "authOnly" in auth_only["CometChat key scope"].detail

    away = findings(tmp_path, cometchat_api_base=f"http://127.0.0.1:{free_port()}/v3")
    assert away["CometChat reachable"].status is Status.FAIL


def test_wrong_key_fails_the_command_with_a_clear_line(tmp_path: Path, emulator_url: str) -> None:
    env = clean_env(
        STATE_DIR=str(tmp_path / "var"),
        COMETCHAT_APP_ID="testapp",
        COMETCHAT_REST_API_KEY="not-the-key",
        COMETCHAT_API_BASE=f"{emulator_url}/v3",
    )
    result = subprocess.run(
        [CLI, "doctor"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if "CometChat REST key" in line)
    assert "FAIL" in line
    assert "COMETCHAT_REST_API_KEY" in line  # the fix, on the same line
    assert "not-the-key" not in result.stdout


def test_unreachable_redis_fails(tmp_path: Path) -> None:
    found = findings(tmp_path, redis_url=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert found["Redis"].status is Status.FAIL
    assert "no answer" in found["Redis"].detail
    assert "hunter2" not in repr(found["Redis"])


def test_redis_that_answers_passes(tmp_path: Path) -> None:
    assert findings(tmp_path, redis_url="redis://127.0.0.1:6379/0")["Redis"].status is Status.PASS


@contextmanager
def refusing_smtp() -> Iterator[int]:
    """A server that greets every connection with 554 and hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"554 5.3.2 no mail service here\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()


def test_smtp_that_refuses_fails(tmp_path: Path) -> None:
    with refusing_smtp() as port:
        found = findings(tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    assert found["SMTP"].status is Status.FAIL
    assert "554" in found["SMTP"].detail


def test_smtp_without_starttls_fails_unless_starttls_is_off(tmp_path: Path) -> None:
    with smtp_server() as (_, port):
        asked = findings(tmp_path, smtp_host="127.0.0.1", smtp_port=port)
        plain = findings(tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    assert asked["SMTP"].status is Status.FAIL
    assert plain["SMTP"].status is Status.PASS
    assert "EHLO" in plain["SMTP"].detail


def test_short_secret_key_and_bad_encryption_key_fail(tmp_path: Path) -> None:
    found = findings(tmp_path, secret_key="short", token_encryption_keys=["not-fernet"])
    assert found["SECRET_KEY"].status is Status.FAIL
    assert "5 bytes" in found["SECRET_KEY"].detail
    assert found["TOKEN_ENCRYPTION_KEYS"].status is Status.FAIL
    assert "short" not in found["SECRET_KEY"].detail  # the key itself never shows


def test_production_urls_and_weak_argon2(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        app_env="production",
        public_url="http://auth.example",
        cors_origins=["https://app.example/", "*"],
        argon2_memory_cost=64,
        argon2_time_cost=1,
    )
    assert found["PUBLIC_URL"].status is Status.FAIL
    assert found["CORS_ORIGINS"].status is Status.FAIL
    assert found["ALLOWED_HOSTS"].status is Status.FAIL  # required in production
    assert found["argon2 costs"].status is Status.FAIL
    assert found["SMTP"].status is Status.FAIL  # nobody would get the reset mails


def test_allowed_hosts_must_name_the_public_url(tmp_path: Path) -> None:
    production = {"app_env": "production", "public_url": "https://auth.example"}
    found = findings(tmp_path, allowed_hosts=["api.example"], **production)
    assert found["ALLOWED_HOSTS"].status is Status.FAIL
    assert "auth.example" in found["ALLOWED_HOSTS"].fix
    found = findings(tmp_path, allowed_hosts=["*.example"], **production)
    assert found["ALLOWED_HOSTS"].status is Status.PASS
