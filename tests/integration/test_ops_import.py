"""``users import`` from files made here: bcrypt hashes from another system sign in once and
become argon2id, bad rows are reported by line, a re-run creates nothing, CometChat follows."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
import subprocess
from pathlib import Path

import bcrypt
import httpx

from tests.integration.test_cli import CLI, emulator_env
from tests.support.auth_server import isolated_settings, serve_auth
from tests.support.emulator_view import emulator_user
from tests.unit.test_imported_hashes import FIREBASE, VECTOR_HASH, VECTOR_SALT

USERS = 10_000
#: Distinct passwords (and bcrypt hashes, cost 4): user i has password i % PASSWORDS.
PASSWORDS = 100


def password(i: int) -> str:
    return f"imported password {i % PASSWORDS}"


def env_for(tmp_path: Path, emulator_url: str) -> dict[str, str]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    return emulator_env(database_url, emulator_url, tmp_path / "state")


def run_import(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "users", "import", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rows_in(database: Path, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, parameters).fetchall()


def stored_hash(database: Path, email: str) -> str:
    return str(rows_in(database, "SELECT password_hash FROM users WHERE email = ?", email)[0][0])


def test_ten_thousand_bcrypt_users_sign_in_then_hold_argon2id(
    tmp_path: Path, emulator_url: str
) -> None:
    hashes = [
        bcrypt.hashpw(password(i).encode(), bcrypt.gensalt(rounds=4)).decode()
        for i in range(PASSWORDS)
    ]
    export = tmp_path / "users.csv"
    with export.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "name", "avatar", "verified", "password_hash", "extra"])
        for i in range(USERS):
            writer.writerow(
                [f"user{i}@example.com", f"User {i}", "", "true", hashes[i % PASSWORDS], "x"]
            )
            if i == 2:  # line 5, in the same batch as line 4
                writer.writerow(["User2@example.com", "Twice", "", "", "", ""])
        writer.writerow(["not-an-email", "Bad", "", "", "", ""])  # line 10003
        writer.writerow(["odd@example.com", "Odd", "", "", "md5:abc", ""])  # 10004
        writer.writerow(["USER1@example.com", "Again", "", "", "", ""])  # 10005: already here
        writer.writerow(["nohash@example.com", "No Hash", "https://a.example/n.png", "", "", ""])
    env = env_for(tmp_path, emulator_url)

    dry = run_import([str(export), "--dry-run"], env, tmp_path)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would create 10001 (1 must reset their password), 1 already here" in dry.stdout
    assert not rows_in(tmp_path / "auth.db", "SELECT count(*) FROM users")[0][0]

    first = run_import([str(export), "--no-wait"], env, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    summary = "10005 rows: created 10001 (1 must reset their password), 1 already here, 3 rejected"
    assert summary in first.stdout
    rejected = list(csv.reader((tmp_path / "users.csv.rejected.csv").open()))
    assert rejected[0] == ["line", "reason"]
    assert [row[0] for row in rejected[1:]] == ["5", "10003", "10004"]
    assert "the same address as line 4" in rejected[1][1]
    assert "email" in rejected[2][1]
    assert "not a bcrypt" in rejected[3][1]
    assert "md5:abc" not in first.stdout  # hashes never echo
    queued = "SELECT count(*) FROM outbox_jobs WHERE kind = 'cometchat.create_user'"
    assert rows_in(tmp_path / "auth.db", queued)[0][0] == 10001

    again = run_import([str(export), "--no-wait"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "created 0 " in again.stdout
    assert "10002 already here" in again.stdout
    assert rows_in(tmp_path / "auth.db", "SELECT count(*) FROM users")[0][0] == 10001
    assert rows_in(tmp_path / "auth.db", queued)[0][0] == 10001  # no job queued twice

    settings = isolated_settings(
        state_dir=tmp_path / "state",
        database_url=env["DATABASE_URL"],
        cometchat_api_base=f"{emulator_url}/v3",
        rate_limit_login_ip="1000/minute",
    )
    sampled = random.Random(16).sample(range(USERS), 8)
    with serve_auth(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        for i in sampled:
            email = f"user{i}@example.com"
            wrong = client.post("/auth/login", json={"email": email, "password": password(i + 1)})
            assert wrong.status_code == 401
            login = client.post("/auth/login", json={"email": email, "password": password(i)})
            assert login.status_code == 200, login.text
            assert login.json()["user"]["emailVerified"] is True
            assert stored_hash(tmp_path / "auth.db", email).startswith("$argon2id$")
            again_in = client.post("/auth/login", json={"email": email, "password": password(i)})
            assert again_in.status_code == 200
        # No hash, no way in: the account must reset its password.
        nohash = client.post(
            "/auth/login", json={"email": "nohash@example.com", "password": "!" + "x" * 10}
        )
        assert nohash.status_code == 401


def test_jsonl_with_firebase_scrypt_and_cometchat_users_created(
    tmp_path: Path, emulator_url: str
) -> None:
    export = tmp_path / "firebase.jsonl"
    lines = [
        {
            "email": "fire@example.com",
            "name": "Fire Base",
            "avatar": "https://a.example/f.png",
            "verified": False,
            "password_hash": VECTOR_HASH,
            "password_salt": VECTOR_SALT,
        },
        *({"email": f"j{i}@example.com", "name": f"J {i}"} for i in range(20)),
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    env = env_for(tmp_path, emulator_url)
    options = [
        "--firebase-signer-key",
        FIREBASE.signer_key,
        "--firebase-salt-separator",
        FIREBASE.salt_separator,
        "--firebase-rounds",
        "8",
        "--firebase-mem-cost",
        "14",
    ]
    done = run_import([str(export), *options], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created 21 (20 must reset their password)" in done.stdout
    assert "line 22: not valid JSON" in done.stdout
    users = {
        str(email): str(uid)
        for email, uid in rows_in(tmp_path / "auth.db", "SELECT email, id FROM users")
    }
    fire = emulator_user(emulator_url, users["fire@example.com"])
    assert fire is not None
    assert fire["name"] == "Fire Base"
    assert fire["avatar"] == "https://a.example/f.png"
    assert all(emulator_user(emulator_url, uid) for uid in users.values())

    settings = isolated_settings(
        state_dir=tmp_path / "state",
        database_url=env["DATABASE_URL"],
        cometchat_api_base=f"{emulator_url}/v3",
    )
    with serve_auth(settings) as url:
        login = httpx.post(
            f"{url}/auth/login", json={"email": "fire@example.com", "password": "user1password"}
        )
        assert login.status_code == 200, login.text
    assert stored_hash(tmp_path / "auth.db", "fire@example.com").startswith("$argon2id$")
