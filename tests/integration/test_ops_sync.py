"""``cometchat sync`` against the emulator seeded with drift: users CometChat lost, users only
CometChat has, users renamed there. Interrupted after queueing, then run again, it finishes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import httpx

from tests.integration.test_cli import CLI, emulator_env


def command(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def cometchat_names(rest: httpx.Client) -> dict[str, str]:
    answer = rest.get("/users", params={"perPage": 1000})
    answer.raise_for_status()
    return {user["uid"]: user["name"] for user in answer.json()["data"]}


def test_sync_fixes_drift_and_resumes(
    tmp_path: Path, emulator_url: str, emulator_rest: httpx.Client
) -> None:
    env = emulator_env(f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}", emulator_url, tmp_path / "s")
    export = tmp_path / "users.jsonl"
    export.write_text(
        "".join(
            json.dumps({"email": f"s{i}@example.com", "name": f"Sync {i}"}) + "\n"
            for i in range(12)
        )
    )
    command(["users", "import", str(export)], env, tmp_path)
    with sqlite3.connect(tmp_path / "auth.db") as connection:
        app = dict(connection.execute("SELECT id, name FROM users").fetchall())
    assert cometchat_names(emulator_rest) == app

    # Drift: two users lost, one renamed, one with another avatar, three only in CometChat.
    renamed, repictured, *_ = sorted(app)
    for uid in sorted(app)[3:5]:
        emulator_rest.request(
            "DELETE", f"/users/{uid}", json={"permanent": True}
        ).raise_for_status()
    emulator_rest.put(f"/users/{renamed}", json={"name": "Renamed There"}).raise_for_status()
    emulator_rest.put(
        f"/users/{repictured}", json={"avatar": "https://cdn.example/other.png"}
    ).raise_for_status()
    for n in range(3):
        emulator_rest.post(
            "/users", json={"uid": f"extra-{n}", "name": f"Extra {n}"}
        ).raise_for_status()
    drifted = cometchat_names(emulator_rest)

    dry = command(["cometchat", "sync", "--dry-run"], env, tmp_path)
    assert "missing in CometChat: 2, extra in CometChat: 3" in dry
    assert "name or avatar differing: 2" in dry
    assert "Renamed There" in dry
    assert cometchat_names(emulator_rest) == drifted  # a dry run changes nothing

    # Interrupted: the fixes are queued, none run yet.
    queued = command(["cometchat", "sync", "--no-wait"], env, tmp_path)
    assert "4 CometChat changes queued" in queued
    assert cometchat_names(emulator_rest) == drifted

    resumed = command(["cometchat", "sync"], env, tmp_path)
    assert "already queued: 4" in resumed  # not queued twice
    assert "CometChat is in step" in resumed
    names = cometchat_names(emulator_rest)
    assert {uid: names[uid] for uid in app} == app
    assert {f"extra-{n}" for n in range(3)} <= names.keys()  # kept without --delete-extra
    avatar = emulator_rest.get(f"/users/{repictured}").json()["data"].get("avatar")
    assert avatar in (None, "")

    command(["cometchat", "sync", "--delete-extra"], env, tmp_path)
    assert cometchat_names(emulator_rest) == app
    final = command(["cometchat", "sync", "--dry-run"], env, tmp_path)
    assert "missing in CometChat: 0, extra in CometChat: 0" in final
    assert "name or avatar differing: 0" in final
