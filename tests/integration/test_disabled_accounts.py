"""`users disable|enable`: sessions end, sign-in answers as a wrong password, and the CometChat
user is deactivated and reactivated (checked in the emulator's own state)."""

from __future__ import annotations

from pathlib import Path

import httpx

from cometchat_auth.cometchat import CometChatClient
from tests.integration.test_cli import beside_server_env, cli
from tests.support.auth_server import PASSWORD, bearer, register
from tests.support.emulator_view import REST_KEY, emulator_user, token_works


def test_disable_then_enable(
    client: httpx.Client, emulator_url: str, database_url: str, tmp_path: Path
) -> None:
    env = beside_server_env(database_url, emulator_url, tmp_path / "state")
    first = register(client)
    email, uid = first["user"]["email"], first["user"]["id"]
    second = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()

    disabled = cli(["users", "disable", email], env=env, cwd=tmp_path)
    assert disabled.returncode == 0, disabled.stdout + disabled.stderr
    assert "CometChat is in step" in disabled.stdout
    user = emulator_user(emulator_url, uid)
    assert user is not None
    assert user["deactivatedAt"] is not None
    assert user["authTokens"] == []  # flushed before the user was deactivated
    for session in (first, second):
        assert client.get("/auth/me", headers=bearer(session)).status_code == 401
        assert not token_works(emulator_url, session["authToken"])

    right = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    wrong = client.post("/auth/login", json={"email": email, "password": PASSWORD + "!"})
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert "already disabled" in cli(["users", "disable", email], env=env, cwd=tmp_path).stdout
    assert listed(env, tmp_path)[email][-1]  # piped: the disabled time is the last field

    enabled = cli(["users", "enable", email], env=env, cwd=tmp_path)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    assert listed(env, tmp_path)[email][-1] == ""
    user = emulator_user(emulator_url, uid)
    assert user is not None
    assert user["deactivatedAt"] is None
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert token_works(emulator_url, login.json()["authToken"])
    assert "not disabled" in cli(["users", "enable", email], env=env, cwd=tmp_path).stdout
    unknown = cli(["users", "disable", "nobody@example.com"], env=env, cwd=tmp_path)
    assert unknown.returncode == 1
    assert "no account" in unknown.stdout


async def test_the_client_reactivates_only_deactivated_users(emulator_url: str) -> None:
    async with CometChatClient("testapp", REST_KEY["apikey"], base_url=f"{emulator_url}/v3") as cc:
        await cc.create_user("active-one", "Active")
        await cc.create_user("gone-one", "Gone")
        await cc.delete_user("gone-one")
        assert [user.uid async for user in cc.list_users()] == ["active-one"]
        await cc.reactivate_users(["active-one", "gone-one", "never-there"])
        assert sorted([user.uid async for user in cc.list_users()]) == ["active-one", "gone-one"]
        assert (await cc.get_user("gone-one")).deactivated_at is None


def listed(env: dict[str, str], cwd: Path) -> dict[str, list[str]]:
    """``users list`` piped: each account's fields by email."""
    answer = cli(["users", "list"], env=env, cwd=cwd)
    assert answer.returncode == 0, answer.stderr
    return {
        fields[1]: fields for line in answer.stdout.splitlines() if (fields := line.split("\t"))
    }
