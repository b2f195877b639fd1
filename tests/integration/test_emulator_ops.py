"""The emulator's operations side: rate limit, injected faults, admin routes, state file, TLS."""

from __future__ import annotations

import ssl
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from cometchat_auth.emulator import EmulatorConfig, Faults, create_app, ensure_certificate
from tests.support.servers import serve
from tests.support.waiting import eventually


class FakeClock:
    """Unix time that moves only when a test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rest_headers(config: EmulatorConfig) -> dict[str, str]:
    return {"apikey": config.apps[0].rest_api_key}


def test_rate_limit_per_app_per_minute(emulator_config: EmulatorConfig) -> None:
    clock = FakeClock(1_800_000_010)
    config = replace(emulator_config, rate_limit_per_minute=3)
    with serve(create_app(config, clock=clock)) as url:
        headers = rest_headers(config)
        seen = [httpx.get(f"{url}/v3/users", headers=headers) for _ in range(4)]
        assert [a.status_code for a in seen] == [200, 200, 200, 429]
        assert [a.headers["x-rate-limit-remaining"] for a in seen[:3]] == ["2", "1", "0"]
        assert all(a.headers["x-rate-limit"] == "3" for a in seen)
        limited = seen[3]
        assert limited.json()["error"]["code"] == "ERR_TOO_MANY_REQUESTS"
        assert limited.headers["retry-after"] == "50"
        assert limited.headers["x-rate-limit-reset"] == "1800000060"
        # Admin routes are not CometChat's API: they are never limited.
        admin = httpx.get(f"{url}/_emulator/apps/testapp/users", headers=headers)
        assert admin.status_code == 200
        clock.now = 1_800_000_060
        assert httpx.get(f"{url}/v3/users", headers=headers).status_code == 200


def set_faults(url: str, config: EmulatorConfig, **faults: object) -> httpx.Response:
    return httpx.put(f"{url}/_emulator/faults", json=faults, headers=rest_headers(config))


def test_faults_read_and_set_at_run_time(
    emulator_url: str, emulator_config: EmulatorConfig
) -> None:
    headers = rest_headers(emulator_config)
    start = httpx.get(f"{emulator_url}/_emulator/faults", headers=headers).json()["data"]
    assert start == {
        "latency": 0.0,
        "errorRate": 0.0,
        "rateLimitRate": 0.0,
        "dropRate": 0.0,
        "seed": None,
    }
    answer = set_faults(emulator_url, emulator_config, errorRate=1, seed=7)
    assert answer.json()["data"]["errorRate"] == 1
    assert httpx.get(f"{emulator_url}/_emulator/faults").status_code == 401
    for bad in ({"errorRate": 2}, {"latency": -1}, {"dropRate": "x"}, {"bogus": 1}):
        assert set_faults(emulator_url, emulator_config, **bad).status_code == 400


def test_error_faults_answer_5xx_envelopes_on_the_api_only(
    emulator_url: str, emulator_config: EmulatorConfig
) -> None:
    set_faults(emulator_url, emulator_config, errorRate=1.0, seed=1)
    headers = rest_headers(emulator_config)
    answers = [httpx.get(f"{emulator_url}/v3/users", headers=headers) for _ in range(6)]
    assert {a.status_code for a in answers} <= {500, 502, 503}
    assert all(a.json()["error"]["source"] == "chat-api" for a in answers)
    assert httpx.get(f"{emulator_url}/_emulator/faults", headers=headers).status_code == 200


def test_rate_limit_faults_answer_429_retry_after_1(
    emulator_url: str, emulator_config: EmulatorConfig
) -> None:
    set_faults(emulator_url, emulator_config, rateLimitRate=1.0)
    answer = httpx.get(f"{emulator_url}/v3/users", headers=rest_headers(emulator_config))
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "ERR_TOO_MANY_REQUESTS"


def test_drop_faults_close_the_connection_unanswered(
    emulator_url: str, emulator_config: EmulatorConfig
) -> None:
    set_faults(emulator_url, emulator_config, dropRate=1.0)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(f"{emulator_url}/v3/users", headers=rest_headers(emulator_config))


def test_latency_fault_delays_answers(emulator_config: EmulatorConfig) -> None:
    config = replace(emulator_config, faults=Faults(latency=1.0))
    # A client with a much shorter timeout gives up: the answer really is late.
    with serve(create_app(config)) as url, pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{url}/v3/users", headers=rest_headers(config), timeout=0.1)


def test_faults_at_a_partial_rate_follow_the_seed(emulator_config: EmulatorConfig) -> None:
    config = replace(emulator_config, faults=Faults(error_rate=0.5, seed=42))

    def statuses() -> list[int]:
        with serve(create_app(config)) as url:
            return [
                httpx.get(f"{url}/v3/users", headers=rest_headers(config)).status_code
                for _ in range(12)
            ]

    first = statuses()
    assert 200 in first
    assert set(first) - {200}
    assert statuses() == first


def test_admin_lists_every_user_with_tokens_and_resets(
    emulator_url: str, emulator_rest: httpx.Client, emulator_config: EmulatorConfig
) -> None:
    token = emulator_rest.post(
        "/users", json={"uid": "ann", "name": "Ann", "withAuthToken": True}
    ).json()["data"]["authToken"]
    emulator_rest.post("/users", json={"uid": "bo", "name": "Bo"})
    emulator_rest.delete("/users/bo")
    admin_url = f"{emulator_url}/_emulator/apps/testapp"
    headers = rest_headers(emulator_config)
    users = httpx.get(f"{admin_url}/users", headers=headers).json()["data"]
    assert [u["uid"] for u in users] == ["ann", "bo"]
    assert users[0]["deactivatedAt"] is None
    assert isinstance(users[1]["deactivatedAt"], int)
    assert [t["authToken"] for t in users[0]["authTokens"]] == [token]
    auth_key = {"apikey": emulator_config.apps[0].auth_key}
    assert httpx.get(f"{admin_url}/users", headers=auth_key).status_code == 401
    assert (
        httpx.get(f"{emulator_url}/_emulator/apps/nope/users", headers=headers).status_code == 404
    )
    assert httpx.delete(admin_url, headers=headers).status_code == 200
    assert httpx.get(f"{admin_url}/users", headers=headers).json()["data"] == []


def test_state_file_keeps_users_and_tokens_across_a_restart(
    emulator_config: EmulatorConfig, tmp_path: Path
) -> None:
    config = replace(emulator_config, state_file=tmp_path / "state.json")
    headers = rest_headers(config)
    with serve(create_app(config)) as url:
        body = {"uid": "pia", "name": "Pia", "withAuthToken": True, "metadata": {"k": [1]}}
        created = httpx.post(f"{url}/v3/users", json=body, headers=headers).json()["data"]
    with serve(create_app(config)) as url:
        user = httpx.get(f"{url}/v3/users/pia", headers=headers).json()["data"]
        token_url = f"{url}/v3/users/pia/auth_tokens/{created['authToken']}"
        assert httpx.get(token_url, headers=headers).status_code == 200
    created.pop("authToken")
    assert user == created


def test_state_is_saved_soon_after_a_change(
    emulator_config: EmulatorConfig, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    config = replace(emulator_config, state_file=path)
    with serve(create_app(config)) as url:
        httpx.post(f"{url}/v3/users", json={"uid": "q", "name": "Q"}, headers=rest_headers(config))
        eventually(path.exists, within=10)
        assert '"q"' in path.read_text()


def test_the_state_file_is_owner_only(emulator_config: EmulatorConfig, tmp_path: Path) -> None:
    """It holds auth tokens: 0600, even over files an older save left readable to all."""
    path = tmp_path / "state.json"
    for old in (path, path.with_suffix(".json.tmp")):
        old.write_text("{}")
        old.chmod(0o644)
    config = replace(emulator_config, state_file=path)
    with serve(create_app(config)) as url:
        body = {"uid": "r", "name": "R", "withAuthToken": True}
        httpx.post(f"{url}/v3/users", json=body, headers=rest_headers(config))
        eventually(lambda: '"r"' in path.read_text(), within=10)
    assert path.stat().st_mode & 0o777 == 0o600


def test_tls_with_the_generated_certificate(
    emulator_config: EmulatorConfig, tmp_path: Path
) -> None:
    certfile, keyfile = ensure_certificate(tmp_path)
    assert ensure_certificate(tmp_path) == (certfile, keyfile)
    assert certfile.read_bytes() == ensure_certificate(tmp_path)[0].read_bytes()
    app = create_app(emulator_config)
    with serve(app, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as url:
        assert url.startswith("https://")
        headers = rest_headers(emulator_config)
        trust = ssl.create_default_context(cafile=str(certfile))
        answer = httpx.get(f"{url}/v3/users", headers=headers, verify=trust)
        assert answer.status_code == 200
        by_name = url.replace("127.0.0.1", "localhost")
        assert httpx.get(f"{by_name}/v3/users", headers=headers, verify=trust).is_success
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/v3/users", headers=headers)  # untrusted by default
