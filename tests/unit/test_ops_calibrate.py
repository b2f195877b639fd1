"""argon2 calibration never goes below OWASP's floor."""

from __future__ import annotations

import pytest

from cometchat_auth.accounts.passwords import meets_owasp_floor
from cometchat_auth.ops.calibrate import START, calibrate


@pytest.mark.parametrize(
    ("memory", "time", "ok"),
    [(19456, 2, True), (47104, 1, True), (7168, 5, True), (19455, 2, False), (64, 10, False)],
)
def test_owasp_floor(memory: int, time: int, ok: bool) -> None:
    assert meets_owasp_floor(memory, time) is ok


def test_an_impossible_target_still_answers_the_floor() -> None:
    best, _, trials = calibrate(0.000001)
    assert (best.memory_cost, best.time_cost) == START
    assert len(trials) == 1


def test_memory_grows_only_up_to_the_cap() -> None:
    best, _, _ = calibrate(60.0, max_memory_kib=START[0] * 2, max_time_cost=START[1])
    assert best.memory_cost == START[0] * 2
    assert meets_owasp_floor(best.memory_cost, best.time_cost)
