"""Login timing for unknown vs known emails: the medians should match (no user enumeration).

With OWASP's argon2 parameters (m=19 MiB, t=2, p=1), alternates failed logins of one account
(wrong password) and of unknown emails, and prints each median and their ratio.
"""

from __future__ import annotations

import httpx

from bench.known_vs_unknown import UNLIMITED, medians
from cometchat_auth.settings import Settings

ROUNDS = 60


def _failed_login(client: httpx.Client, email: str) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": "wrong password 123"})


def measure(rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of a failed login for a known email and for an unknown one."""
    defaults = Settings.model_fields
    return medians(
        _failed_login,
        401,
        rounds,
        # OWASP's parameters, the server's defaults (the test helper lowers them).
        argon2_memory_cost=defaults["argon2_memory_cost"].default,
        argon2_time_cost=defaults["argon2_time_cost"].default,
        argon2_parallelism=defaults["argon2_parallelism"].default,
        # Every attempt is a counted failure: the known account's slowest path, never locked.
        lockout_threshold=1_000_000,
        rate_limit_login_ip=UNLIMITED,
        rate_limit_login_account=UNLIMITED,
    )


def main() -> None:
    known, unknown = measure()
    print(f"login timing over {ROUNDS} rounds each (argon2id m=19456 KiB, t=2, p=1)")
    print(f"  known email, wrong password: median {known * 1000:.1f} ms")
    print(f"  unknown email:               median {unknown * 1000:.1f} ms")
    print(f"  ratio known/unknown:         {known / unknown:.3f}")
