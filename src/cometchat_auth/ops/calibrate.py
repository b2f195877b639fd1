"""argon2id costs that fit a time budget on this machine, never below OWASP's floor.

Memory grows first (it is what makes GPU guessing dear), up to a cap that keeps concurrent
sign-ins from exhausting the server's RAM; then iterations, while one hash stays in budget.
"""

from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import dataclass

from argon2 import PasswordHasher, Type

from cometchat_auth.accounts.passwords import OWASP_FLOOR

#: Start from OWASP's 19 MiB x 2 (the server's default) and grow from there.
START = OWASP_FLOOR[1]


@dataclass(frozen=True, slots=True)
class Costs:
    memory_cost: int  # KiB
    time_cost: int
    parallelism: int = 1

    def env(self) -> str:
        return (
            f"ARGON2_MEMORY_COST={self.memory_cost}\n"
            f"ARGON2_TIME_COST={self.time_cost}\n"
            f"ARGON2_PARALLELISM={self.parallelism}"
        )


def measure(costs: Costs, *, rounds: int = 3) -> float:
    """Median seconds one argon2id hash takes with ``costs`` on this machine."""
    hasher = PasswordHasher(
        memory_cost=costs.memory_cost,
        time_cost=costs.time_cost,
        parallelism=costs.parallelism,
        type=Type.ID,
    )
    password = secrets.token_urlsafe(16)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.hash(password)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def calibrate(
    target: float, *, max_memory_kib: int = 65536, max_time_cost: int = 10
) -> tuple[Costs, float, list[tuple[Costs, float]]]:
    """The strongest costs whose hash takes at most ``target`` s, their time, and every trial.

    When even the floor is slower than the target, the floor is the answer: never weaker.
    """
    best = Costs(*START)
    best_time = measure(best)
    trials = [(best, best_time)]
    if best_time > target:
        return best, best_time, trials
    while best.memory_cost * 2 <= max_memory_kib:
        trial = Costs(best.memory_cost * 2, best.time_cost)
        seconds = measure(trial)
        trials.append((trial, seconds))
        if seconds > target:
            break
        best, best_time = trial, seconds
    while best.time_cost < max_time_cost:
        trial = Costs(best.memory_cost, best.time_cost + 1)
        seconds = measure(trial)
        trials.append((trial, seconds))
        if seconds > target:
            break
        best, best_time = trial, seconds
    return best, best_time, trials
