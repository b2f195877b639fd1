"""How long the client waits before trying again."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from cometchat_auth.cometchat.retries import backoff, retry_after

NOW = 1_700_000_000.0


def test_retry_after_in_seconds_wins_over_the_reset_time() -> None:
    headers = httpx.Headers({"Retry-After": "15", "X-Rate-Limit-Reset": str(int(NOW) + 60)})
    assert retry_after(headers, now=NOW) == 15.0


def test_retry_after_as_an_http_date() -> None:
    headers = httpx.Headers({"Retry-After": formatdate(NOW + 30, usegmt=True)})
    assert retry_after(headers, now=NOW) == pytest.approx(30.0)


@pytest.mark.parametrize("name", ["X-Rate-Limit-Reset", "X-RateLimit-Reset"])
def test_both_spellings_of_the_reset_header_are_read(name: str) -> None:
    headers = httpx.Headers({name: str(int(NOW) + 7)})
    assert retry_after(headers, now=NOW) == 7.0


def test_a_date_in_the_past_means_no_wait() -> None:
    headers = httpx.Headers({"Retry-After": formatdate(NOW - 30, usegmt=True)})
    assert retry_after(headers, now=NOW) == 0.0


def test_garbage_headers_give_no_wait_at_all() -> None:
    headers = httpx.Headers({"Retry-After": "soon", "X-RateLimit-Reset": "later"})
    assert retry_after(headers, now=NOW) is None


def test_no_header_gives_none() -> None:
    assert retry_after(httpx.Headers(), now=NOW) is None


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    waits = [backoff(attempt, base=0.2, cap=1.0, jitter=0.999) for attempt in range(1, 6)]
    assert waits == pytest.approx([0.1998, 0.3996, 0.7992, 0.999, 0.999])


def test_full_jitter_can_mean_no_wait() -> None:
    assert backoff(3, base=0.2, cap=5.0, jitter=0.0) == 0.0
