"""Does a request sent right after a forgot-password answer tell whether the address is known?

The 202 itself is the same at once for any address, but the work done after it (lookup, token,
queued mail) could slow the next request. Here an attacker with an account of their own sends
``POST /auth/password/forgot`` about an address, then at once ``POST /auth/refresh`` with their
own refresh token, and times the refresh. Each pair of trials asks about the known address and
about an unknown one, in random order; the classifier guesses that the slower follow-up came after
the known address. Its accuracy is the share of pairs it gets right: 0.5 is a coin toss, and the
target is at most 0.6 (issue 12 measured 0.93 on SQLite before the fix).
"""

from __future__ import annotations

import os
import random
import statistics
import time

import httpx
from tests.support.auth_server import PASSWORD, new_email

from bench.known_vs_unknown import UNLIMITED, bench_server, unknown_email
from cometchat_auth.settings import Settings

PAIRS = 200
TARGET = 0.6
#: Between trials, so that each starts on a server at rest (the worker done with its job).
SETTLE = 0.05


def _follow_up(client: httpx.Client, email: str, refresh: list[str]) -> float:
    """Ask about ``email``, then time the attacker's own refresh sent right behind the answer."""
    assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
    started = time.perf_counter()
    answer = client.post("/auth/refresh", json={"refreshToken": refresh[0]})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    refresh[0] = answer.json()["refreshToken"]
    time.sleep(SETTLE)
    return elapsed


def measure(pairs: int = PAIRS) -> tuple[float, float, float]:
    """(classifier accuracy, median follow-up after a known address, after an unknown one)."""
    rng = random.Random(12)
    after_known: list[float] = []
    after_unknown: list[float] = []
    with bench_server(
        rate_limit_reset_ip=UNLIMITED,
        rate_limit_reset_account=UNLIMITED,
        rate_limit_refresh_ip=UNLIMITED,
        rate_limit_refresh_account=UNLIMITED,
        # Every known request must really mail, or the cap would hide the difference.
        mail_limit_per_address=UNLIMITED,
        mail_delay_max=Settings.model_fields["mail_delay_max"].default,  # the tests' is 0
    ) as (client, known_email):
        attacker = client.post(
            "/auth/register", json={"email": new_email(), "password": PASSWORD, "name": "Eve"}
        )
        attacker.raise_for_status()
        refresh = [attacker.json()["refreshToken"]]
        for _ in range(5):  # warm up
            _follow_up(client, known_email, refresh)
            _follow_up(client, unknown_email(), refresh)
        for _ in range(pairs):
            order = [("known", known_email), ("unknown", unknown_email())]
            rng.shuffle(order)
            timed = {kind: _follow_up(client, email, refresh) for kind, email in order}
            after_known.append(timed["known"])
            after_unknown.append(timed["unknown"])
    right = sum(
        1.0 if k > u else 0.5 if k == u else 0.0
        for k, u in zip(after_known, after_unknown, strict=True)
    )
    return right / pairs, statistics.median(after_known), statistics.median(after_unknown)


def main() -> None:
    database = os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":", 1)[0]
    accuracy, known, unknown = measure()
    print(f"forgot-password follow-up side channel on {database}, {PAIRS} pairs")
    print(f"  refresh right after a known address:   median {known * 1000:.2f} ms")
    print(f"  refresh right after an unknown address: median {unknown * 1000:.2f} ms")
    verdict = "ok" if accuracy <= TARGET else "LEAKS"
    print(f"  classifier accuracy (slower follow-up = known): {accuracy:.3f}")
    print(f"  target <= {TARGET}: {verdict}")


if __name__ == "__main__":
    main()
