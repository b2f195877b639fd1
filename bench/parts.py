"""What the benchmarks run the server among: the Node peers, a fresh database, and /proc's
figures of a process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.support.postgres import admin
from tests.support.processes import wait_until_up
from tests.support.servers import free_port

from bench.server import pinned

NODE = Path(__file__).parent / "node"


def need(*tools: str) -> None:
    """Stop the bench, saying which, when one of ``tools`` is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is missing (make bench installs it)")


@contextlib.contextmanager
def node(script: str, env: dict[str, str], cores: str | None) -> Iterator[str]:
    """``bench/node/<script>`` on a free port until the block ends; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        pinned(["node", str(NODE / script)], cores),
        env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh database: a SQLite file in ``folder``, or a PostgreSQL database
    dropped after the block."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/bench-{uuid.uuid4().hex[:6]}.db"
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def rss_mb(pid: int) -> float:
    """The resident memory of ``pid``, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
