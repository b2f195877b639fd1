"""``cometchat-auth serve`` as its own process, in production mode, against a test emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.emulator_view import REST_KEY
from tests.support.processes import wait_until_up
from tests.support.servers import free_port

CLI = str(Path(sys.executable).with_name("cometchat-auth"))
ENCRYPTION_KEY = Fernet.generate_key().decode()


def production_env(
    *, database_url: str, state_dir: Path, emulator_url: str, **overrides: str
) -> dict[str, str]:
    """The environment of a production server with short CometChat and outbox timings."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "production",
        "HOST": "127.0.0.1",
        # One process, no supervisor: kill() must kill the server itself.
        "WORKERS": "1",
        "DATABASE_URL": database_url,
        "STATE_DIR": str(state_dir),
        "SECRET_KEY": "process-test-secret-key-for-access-tokens",
        "TOKEN_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "COMETCHAT_APP_ID": "testapp",
        "COMETCHAT_REST_API_KEY": REST_KEY["apikey"],
        "COMETCHAT_API_BASE": f"{emulator_url}/v3",
        "COMETCHAT_TIMEOUT": "0.5",
        "COMETCHAT_DEADLINE": "1",
        "COMETCHAT_BREAKER_RESET": "0.5",
        "CORS_ORIGINS": "http://app.example",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_URL": "https://auth.example",
        "ARGON2_MEMORY_COST": "64",
        "ARGON2_TIME_COST": "1",
        **overrides,
    }


class ServerProcess:
    """One ``serve`` process on its own port; its output goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port)}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        """Start without waiting (several may start at the same moment)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [CLI, "serve"], env=self.env, cwd=self.log.parent, stdout=out, stderr=out
            )

    def wait_up(self, *, within: float = 120) -> None:
        assert self.process is not None
        wait_until_up(f"{self.url}/healthz", self.process, within=within, output=self.log.read_text)

    def start(self) -> None:
        self.spawn()
        self.wait_up()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease given back, no transaction finished."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def unhandled_errors(self) -> list[str]:
        """Each distinct unhandled error in the log: its request and its exception's last lines.

        For a test's failure message: what a 500 was, without the whole log.
        """
        found: dict[str, None] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            if not line.startswith("{") or '"unhandled error' not in line:
                continue
            entry = json.loads(line)
            lines = entry.get("exception", "").splitlines()
            where = [part.strip() for part in lines if part.strip(" ^~")][-3:]  # no caret lines
            found.setdefault(f"{entry['message']}: " + " | ".join(where))
        return list(found)
