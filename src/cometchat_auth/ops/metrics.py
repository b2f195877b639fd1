"""Prometheus metrics: what each part counts, and the text a scrape gets.

Every metric lives here, so names stay consistent and ``/metrics`` shows them all from the
start. With PROMETHEUS_MULTIPROC_DIR set (``serve --workers N``), prometheus-client keeps values
in files shared by the workers, and a scrape of any worker adds them up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

PREFIX = "cometchat_auth"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

SIGN_IN_OUTCOMES = ("success", "wrong", "locked", "limited", "mfa")
BREAKER_STATES = {"closed": 0, "half-opened": 1, "opened": 2}

REQUESTS = Counter(
    f"{PREFIX}_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SIGN_INS = Counter(f"{PREFIX}_sign_ins", "Password sign-in attempts by outcome.", ["outcome"])
COMETCHAT_CALLS = Counter(
    f"{PREFIX}_cometchat_calls",
    "CometChat REST calls (after retries) by operation and outcome.",
    ["operation", "outcome"],
)
COMETCHAT_SECONDS = Histogram(
    f"{PREFIX}_cometchat_call_duration_seconds",
    "Time a CometChat REST call took, retries included.",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0),
)
BREAKER_STATE = Gauge(
    f"{PREFIX}_cometchat_breaker_state",
    "The CometChat circuit breaker: 0 closed, 1 half-open, 2 open (the worst of the workers).",
    multiprocess_mode="livemax",
)
OUTBOX_JOBS = Gauge(
    f"{PREFIX}_outbox_jobs",
    "Outbox jobs waiting (pending) or given up on (failed), by kind.",
    ["kind", "status"],
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_SECONDS = Gauge(
    f"{PREFIX}_outbox_oldest_job_age_seconds",
    "Age of the oldest pending outbox job, by kind (0 with none).",
    ["kind"],
    multiprocess_mode="mostrecent",
)
RATE_LIMITED = Counter(
    f"{PREFIX}_rate_limit_rejections", "Requests refused by a rate limit.", ["action"]
)
MAILS = Counter(f"{PREFIX}_mails", "Mails handed to the sender, by outcome.", ["outcome"])
HASHES_IN_FLIGHT = Gauge(
    f"{PREFIX}_password_hashes_in_flight",
    "argon2 hashes and verifications running right now.",
    multiprocess_mode="livesum",
)

for _outcome in SIGN_IN_OUTCOMES:
    SIGN_INS.labels(_outcome)  # every outcome shows from the start, at 0
for _outcome in ("sent", "failed"):
    MAILS.labels(_outcome)


@contextmanager
def hashing() -> Iterator[None]:
    """Count one password hash (or verification) in flight for the block."""
    HASHES_IN_FLIGHT.inc()
    try:
        yield
    finally:
        HASHES_IN_FLIGHT.dec()


def breaker_state(state: str) -> None:
    BREAKER_STATE.set(BREAKER_STATES.get(state, 2))


def outbox_backlog(kinds: Iterable[str], rows: Iterable[tuple[str, str, int, float]]) -> None:
    """Set the outbox gauges from ``(kind, status, count, oldest age in s)`` rows; known kinds
    without jobs go to 0, so a drained queue shows as drained."""
    seen = {(kind, status): (count, age) for kind, status, count, age in rows}
    for kind in {*kinds, *(kind for kind, _ in seen)}:
        for status in ("pending", "failed"):
            OUTBOX_JOBS.labels(kind, status).set(seen.get((kind, status), (0, 0.0))[0])
        OUTBOX_OLDEST_SECONDS.labels(kind).set(seen.get((kind, "pending"), (0, 0.0))[1])


@contextmanager
def shared_by_workers(folder: Path) -> Iterator[None]:
    """Point the worker processes started in the block at one multiprocess folder.

    PROMETHEUS_MULTIPROC_DIR, if set, wins over ``folder``; either way its files from an earlier
    run are removed first, as prometheus-client asks, so counters start at 0.
    """
    shared = Path(os.environ.get(MULTIPROC_DIR) or folder)
    shared.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in shared.glob("*.db"):
        old.unlink()
    before = os.environ.get(MULTIPROC_DIR)
    os.environ[MULTIPROC_DIR] = str(shared)  # inherited by the workers uvicorn spawns
    try:
        yield
    finally:
        if before is None:
            del os.environ[MULTIPROC_DIR]


def _registry() -> CollectorRegistry:
    """This process's registry, or one reading every worker's files in multiprocess mode."""
    shared = os.environ.get(MULTIPROC_DIR)
    if not shared:
        return REGISTRY
    _forget_dead_workers(Path(shared))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _forget_dead_workers(shared: Path) -> None:
    """Drop the live gauges (hashes in flight, breaker state) of workers that died: the
    supervisor starts new ones, and a killed worker's last values would count for ever."""
    for pid in {int(path.stem.rsplit("_", 1)[1]) for path in shared.glob("gauge_live*_*.db")}:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(shared))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, another user's


def exposition() -> bytes:
    """The scrape's text: this process's metrics, or every worker's in multiprocess mode."""
    return generate_latest(_registry())


def serve_separately(host: str, port: int) -> None:
    """METRICS_PORT: answer scrapes from a thread of this process (the supervisor's, with
    workers), beside the API's port instead of on it."""
    start_http_server(port, addr=host, registry=_registry())
