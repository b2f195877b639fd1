"""``cometchat-auth serve`` as its own process for the benchmarks: production settings, rate
limits and lock-out lifted, optionally pinned to some cores (taskset)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from tests.support.processes import wait_until_up
from tests.support.servers import free_port

UNLIMITED = "1000000/minute"
APP_ID = "benchapp"
REST_API_KEY = "bench-rest-key-0123456789"


def server_env(folder: Path, port: int, api_base: str, database_url: str) -> dict[str, str]:
    """Production settings against ``api_base`` (CometChat's REST root), nothing rate limited."""
    limits = {
        f"RATE_LIMIT_{action}_{scope}": UNLIMITED
        for action in ("LOGIN", "REGISTER", "REFRESH", "MINT", "RESET")
        for scope in ("IP", "ACCOUNT")
    }
    return {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "production",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "STATE_DIR": str(folder / "state"),
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "COMETCHAT_APP_ID": APP_ID,
        "COMETCHAT_REST_API_KEY": REST_API_KEY,
        "COMETCHAT_API_BASE": api_base,
        "CORS_ORIGINS": "https://app.example",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_URL": "https://auth.example",
        "LOCKOUT_THRESHOLD": "1000000",
        # Tokens seeded before a run must outlive it.
        "ACCESS_TOKEN_TTL": "3600",
        **limits,
    }


def pinned(command: list[str], cores: str | None) -> list[str]:
    """``command`` run on ``cores`` only ("0", "1", "0,1"), or anywhere with None."""
    return ["taskset", "-c", cores, *command] if cores is not None else command


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def running_server(
    folder: Path,
    *,
    api_base: str,
    database_url: str,
    cores: str | None = None,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``cometchat-auth serve`` in ``folder`` until the block ends (SIGTERM, then a wait)."""
    port = free_port()
    env = {**server_env(folder, port, api_base, database_url), **(extra_env or {})}
    cli = str(Path(sys.executable).with_name("cometchat-auth"))
    log_path = folder / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            pinned([cli, "serve", "--workers", str(workers)], cores),
            env=env,
            cwd=folder,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process, within=120, output=log_path.read_text)
        yield Server(url, env, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
