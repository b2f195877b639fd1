"""``users import`` of 1,000,000 rows: peak memory (RSS) must stay flat, under 200 MB.

Writes a CSV of BENCH_IMPORT_ROWS users (one bcrypt hash made here, shared), imports it into a
fresh SQLite file with ``--no-wait`` (CometChat jobs queued, not sent), and prints the import's
peak RSS, its time and its rate. The rows stream: memory does not grow with the file.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
LIMIT_MB = 200
CLI = str(Path(sys.executable).parent / "cometchat-auth")


def write_export(path: Path, rows: int) -> None:
    shared = bcrypt.hashpw(b"imported password", bcrypt.gensalt(rounds=4)).decode()
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "name", "avatar", "verified", "password_hash"])
        for i in range(rows):
            writer.writerow([f"user{i}@example.com", f"User {i}", "", "true", shared])


def measure(rows: int = ROWS) -> tuple[float, float]:
    """Peak RSS in MB and seconds of one import of ``rows`` rows."""
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "users.csv"
        write_export(export, rows)
        env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("COMETCHAT_", "DATABASE_"))
            },
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
            "STATE_DIR": f"{folder}/state",
        }
        started = time.monotonic()
        subprocess.run(
            [CLI, "users", "import", str(export), "--no-wait"],
            env=env,
            cwd=folder,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kib / 1024, seconds


def main() -> None:
    peak, seconds = measure()
    verdict = "ok" if peak < LIMIT_MB else f"OVER {LIMIT_MB} MB"
    print(f"users import of {ROWS} rows (SQLite, --no-wait)")
    print(f"  peak RSS: {peak:.0f} MB ({verdict})")
    print(f"  time: {seconds:.0f} s, {ROWS / seconds:.0f} rows/s")


if __name__ == "__main__":
    main()
