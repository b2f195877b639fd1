"""``/metrics`` after a scripted run: each counter moved by exactly what the run did, read with
prometheus-client's own text parser."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_cli import CLI, clean_env
from tests.integration.test_mfa_api import enrolled, password_step
from tests.support.auth_server import PASSWORD, bearer, isolated_settings, register, serve_auth
from tests.support.emulator_view import set_faults
from tests.support.processes import wait_until_up
from tests.support.servers import free_port
from tests.support.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: httpx.Client) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def reader(before: Samples, after: Samples) -> Callable[..., float]:
    """``moved(name, label=value, ...)``: how much that series grew between the two scrapes."""

    def moved(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0.0) - before.get(key, 0.0)

    return moved


def test_metrics_count_what_a_scripted_run_did(tmp_path: Path, emulator_url: str) -> None:
    settings = isolated_settings(
        state_dir=tmp_path / "state",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        cometchat_api_base=f"{emulator_url}/v3",
        rate_limit_login_ip="5/minute",
        lockout_threshold=2,
        lockout_base_delay=60,
        cometchat_breaker_threshold=1,
        cometchat_breaker_reset=60,
    )
    with serve_auth(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        before = scrape(client)
        body = register(client, email="metrics@example.com")
        good = {"email": "metrics@example.com", "password": PASSWORD}
        bad = {"email": "metrics@example.com", "password": "wrong " + PASSWORD}
        statuses = [
            client.post("/auth/login", json=credentials).status_code
            for credentials in (good, good, bad, bad, good, good)
        ]
        # The second wrong password locks the account: the right one is refused, then limited.
        assert statuses == [200, 200, 401, 401, 401, 429]
        assert client.post("/auth/password/forgot", json={"email": good["email"]}).is_success
        eventually(lambda: any((tmp_path / "state" / "mail").glob("*.eml")), within=10)
        set_faults(emulator_url, errorRate=1.0)
        try:
            renamed = client.patch("/auth/me", json={"name": "Renamed"}, headers=bearer(body))
            assert renamed.status_code == 200  # CometChat's copy waits in the outbox
            after = scrape(client)
        finally:
            set_faults(emulator_url, errorRate=0.0)

    moved = reader(before, after)
    prefix = "cometchat_auth_"
    requests = f"{prefix}http_requests_total"
    assert moved(requests, method="POST", route="/auth/login", status="200") == 2
    assert moved(requests, method="POST", route="/auth/login", status="401") == 3
    assert moved(requests, method="POST", route="/auth/login", status="429") == 1
    assert moved(requests, method="POST", route="/auth/register", status="201") == 1
    latency = f"{prefix}http_request_duration_seconds_count"
    assert moved(latency, method="POST", route="/auth/login") == 6

    sign_ins = f"{prefix}sign_ins_total"
    assert moved(sign_ins, outcome="success") == 2
    assert moved(sign_ins, outcome="wrong") == 2
    assert moved(sign_ins, outcome="locked") == 1
    assert moved(sign_ins, outcome="limited") == 1
    assert moved(f"{prefix}rate_limit_rejections_total", action="login") == 1

    calls = f"{prefix}cometchat_calls_total"
    assert moved(calls, operation="create_user", outcome="ok") == 1
    assert moved(calls, operation="create_auth_token", outcome="ok") == 3  # register + 2 logins
    assert moved(calls, operation="update_user", outcome="Unavailable") == 1
    assert moved(f"{prefix}cometchat_call_duration_seconds_count", operation="update_user") == 1
    assert after[(f"{prefix}cometchat_breaker_state", frozenset())] == 2  # opened

    pending = frozenset({("kind", "cometchat.update_user"), ("status", "pending")})
    assert after[(f"{prefix}outbox_jobs", pending)] == 1
    age = after[
        (f"{prefix}outbox_oldest_job_age_seconds", frozenset({("kind", "cometchat.update_user")}))
    ]
    assert 0 <= age < 60
    assert (
        after[(f"{prefix}outbox_jobs", frozenset({("kind", "mail.send"), ("status", "pending")}))]
        == 0
    )

    assert moved(f"{prefix}mails_total", outcome="sent") == 1
    assert moved(f"{prefix}mails_total", outcome="failed") == 0
    assert after[(f"{prefix}password_hashes_in_flight", frozenset())] == 0  # all finished


def test_metrics_are_off_in_production_unless_enabled(tmp_path: Path, emulator_url: str) -> None:
    common: dict[str, Any] = {
        "state_dir": tmp_path / "state",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        "cometchat_api_base": f"{emulator_url}/v3",
        "app_env": "production",
        "public_url": "https://auth.example",
        "secret_key": "x" * 40,
    }
    with serve_auth(isolated_settings(**common)) as url:
        assert httpx.get(f"{url}/metrics").status_code == 404
    with serve_auth(isolated_settings(**common, metrics_enabled=True)) as url:
        assert httpx.get(f"{url}/metrics").status_code == 200


def test_metrics_port_serves_them_apart_from_the_api(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = clean_env(
        PORT=str(port),
        EMULATOR_PORT=str(free_port()),
        EMULATOR_TLS_PORT=str(free_port()),
        STATE_DIR=str(tmp_path / "var"),
        METRICS_PORT=str(metrics_port),
        METRICS_INTERVAL="0.2",
    )
    process = subprocess.Popen(
        [CLI, "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    api = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{api}/healthz", process)
        assert httpx.get(f"{api}/metrics").status_code == 404  # not on the API's port
        with httpx.Client(base_url=f"http://127.0.0.1:{metrics_port}") as apart:
            samples = scrape(apart)
        healthz = ("method", "GET"), ("route", "/healthz"), ("status", "200")
        assert samples[("cometchat_auth_http_requests_total", frozenset(healthz))] >= 1
        # The outbox figures are read in the background for this port.
        mail = frozenset({("kind", "mail.send"), ("status", "pending")})
        assert ("cometchat_auth_outbox_jobs", mail) in samples
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_sign_in_that_asks_for_a_second_factor_counts_as_mfa(
    tmp_path: Path, emulator_url: str
) -> None:
    settings = isolated_settings(
        state_dir=tmp_path / "state",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        cometchat_api_base=f"{emulator_url}/v3",
    )
    with serve_auth(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        account, _, _ = enrolled(client)
        before = scrape(client)
        password_step(client, account)
        moved = reader(before, scrape(client))
    assert moved("cometchat_auth_sign_ins_total", outcome="mfa") == 1
    assert moved("cometchat_auth_sign_ins_total", outcome="success") == 0
