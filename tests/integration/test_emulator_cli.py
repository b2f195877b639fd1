"""``cometchat-auth emulator`` as a real process: it prints its keys, then serves them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import wait_until_up
from tests.support.servers import free_port

CLI = Path(sys.executable).with_name("cometchat-auth")


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [str(CLI), "emulator", "--port", str(port), "--app-id", "cliapp", "--rate-limit", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=15)


def printed_values(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the start-up banner up to its blank line, as ``label -> value``."""
    assert process.stdout is not None
    values: dict[str, str] = {}
    for line in process.stdout:
        if not line.strip():
            break
        label, _, value = line.partition(": ")
        values[label] = value.strip()
    return values


def test_cli_prints_keys_that_work(
    emulator_process: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = emulator_process
    values = printed_values(process)
    assert values["App ID"] == "cliapp"
    assert values["Region"] == "us"
    assert values["Base URL"].startswith(f"http://127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}/v3"
    wait_until_up(base, process)
    headers = {"apikey": values["REST API key"]}
    created = httpx.post(f"{base}/users", json={"uid": "cli", "name": "Cli"}, headers=headers)
    assert created.status_code == 200
    token = httpx.post(f"{base}/users/cli/auth_tokens", json={}, headers=headers)
    assert token.json()["data"]["authToken"].startswith("cli_")
    assert token.headers["x-rate-limit"] == "50"
    auth_only = {"apikey": values["Auth key"]}
    assert httpx.get(f"{base}/users", headers=auth_only).status_code == 403
