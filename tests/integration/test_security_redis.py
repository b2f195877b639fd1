"""Two server processes sharing Redis count against one rate limit."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.auth_server import ENCRYPTION_KEY, SECRET_KEY, new_email
from tests.support.processes import wait_until_up
from tests.support.servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
CLI = str(Path(sys.executable).with_name("cometchat-auth"))

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis on 127.0.0.1:6379 is unreachable ({exc!r}): Redis tests NOT RUN"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@contextmanager
def server_process(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``cometchat-auth serve`` in its own process; yields its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process, output=lambda: process.communicate()[1].decode())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_two_processes_share_one_login_limit(
    redis_url: str, emulator_url: str, tmp_path: Path
) -> None:
    prefix = f"cca-test-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "COMETCHAT_APP_ID": "testapp",
        "COMETCHAT_REST_API_KEY": "test-rest-key-0123456789",
        "COMETCHAT_API_BASE": f"{emulator_url}/v3",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        "STATE_DIR": str(tmp_path / "state"),
        "SECRET_KEY": SECRET_KEY,
        "TOKEN_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ARGON2_MEMORY_COST": "64",
        "ARGON2_TIME_COST": "1",
        "REDIS_URL": redis_url,
        "RATE_LIMIT_KEY_PREFIX": prefix,
        "RATE_LIMIT_LOGIN_IP": "3/minute",
    }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(server_process(env, tmp_path))
            second = stack.enter_context(server_process(env, tmp_path))
            body = {"email": new_email(), "password": "wrong password 123"}
            answers = [
                httpx.post(f"{url}/auth/login", json=body, timeout=30).status_code
                for url in (first, second, first, second)
            ]
        # Three attempts between the two processes, then the fourth is refused by either.
        assert answers == [401, 401, 401, 429]
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()
