"""Forgot-password timing for known vs unknown emails: the medians should match.

The answer goes out before the server looks the address up (the lookup, the token and the queued
mail run after it), so nothing in the answer's timing says whether an account exists. Alternates
requests for one account and for unknown emails (local mail folder), and prints each median and
their ratio.
"""

from __future__ import annotations

import httpx

from bench.known_vs_unknown import UNLIMITED, medians

ROUNDS = 100


def _forgot(client: httpx.Client, email: str) -> httpx.Response:
    return client.post("/auth/password/forgot", json={"email": email})


def measure(rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of a forgot-password answer for a known email and for an unknown one."""
    return medians(
        _forgot,
        202,
        rounds,
        rate_limit_reset_ip=UNLIMITED,
        rate_limit_reset_account=UNLIMITED,
    )


def main() -> None:
    known, unknown = measure()
    print(f"forgot-password timing over {ROUNDS} rounds each")
    print(f"  known email:   median {known * 1000:.2f} ms")
    print(f"  unknown email: median {unknown * 1000:.2f} ms")
    print(f"  ratio known/unknown: {known / unknown:.3f}")


if __name__ == "__main__":
    main()
