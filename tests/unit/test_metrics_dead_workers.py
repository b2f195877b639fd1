"""A worker killed mid-hash: a scrape no longer counts its live gauges (the supervisor starts a
new worker; the dead one's "1 hash in flight" would otherwise stay for ever)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cometchat_auth.ops import metrics

IN_FLIGHT = f"{metrics.PREFIX}_password_hashes_in_flight"

WORKER = """
import os
from cometchat_auth.ops import metrics
metrics.HASHES_IN_FLIGHT.inc()
if os.environ["DIE"] == "1":
    os._exit(1)  # killed mid-hash: never decremented
import sys
sys.stdout.write("up\\n"); sys.stdout.flush()
sys.stdin.read()  # alive until the test closes stdin
"""


def hashes_in_flight() -> float | None:
    """The scraped value; None when no living worker has one."""
    for line in metrics.exposition().decode().splitlines():
        if line.startswith(IN_FLIGHT + " "):
            return float(line.split()[1])
    return None


def test_a_dead_worker_s_live_gauges_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, metrics.MULTIPROC_DIR: str(tmp_path)}
    subprocess.run([sys.executable, "-c", WORKER], env={**env, "DIE": "1"}, check=False)
    alive = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        env={**env, "DIE": "0"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert alive.stdout is not None
        assert alive.stdout.readline() == "up\n"
        monkeypatch.setenv(metrics.MULTIPROC_DIR, str(tmp_path))
        assert hashes_in_flight() == 1  # the living worker's hash only
    finally:
        alive.communicate("")
    assert hashes_in_flight() is None  # and once it is gone too, nothing
