"""``/healthz`` (liveness) and ``/readyz`` (readiness), for probes and balancers.

``/healthz`` depends on nothing: a process that answers it is alive, even with the database
down (restarting it would not help). ``/readyz`` asks the database (and Redis, where set) and
answers 503 while one of them does not answer, so a balancer sends the traffic elsewhere; the
CometChat breaker's state is shown but never fails it (sign-in goes on without CometChat).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cometchat_auth.api.deps import ServicesDep
from cometchat_auth.api.errors import ErrorBody
from cometchat_auth.api.schemas import CheckOut, HealthOut, NotReadyOut, ReadyOut
from cometchat_auth.services import Services

router = APIRouter(tags=["health"])

#: Seconds a balancer should wait before asking an unready server again.
READY_RETRY_AFTER = 5


@router.get("/healthz", response_model=HealthOut, summary="Liveness: the process answers")
async def healthz() -> HealthOut:
    return HealthOut()


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": NotReadyOut, "description": "`NOT_READY`: a dependency is down."}},
    summary="Readiness: the database (and Redis, where set) answer",
)
async def readyz(services: ServicesDep) -> JSONResponse:
    checks = await asyncio.gather(*_checks(services))
    if all(check.state == "up" for check in checks if check.required):
        return JSONResponse(ReadyOut(checks=checks).model_dump(by_alias=True))
    down = ", ".join(check.name for check in checks if check.required and check.state != "up")
    body = NotReadyOut(
        checks=checks,
        error=ErrorBody(code="NOT_READY", message=f"Not ready: no answer from {down}."),
    )
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        status_code=503,
        headers={"Retry-After": str(READY_RETRY_AFTER)},
    )


def _checks(services: Services) -> list[Awaitable[CheckOut]]:
    limit = services.settings.database_timeout
    checks: list[Awaitable[CheckOut]] = [
        _timed("database", _database_answers(services), limit=limit)
    ]
    if services.limits.shared:
        checks.append(_timed("redis", services.limits.storage_answers(), limit=limit))
    checks.append(_breaker(services))
    return checks


async def _database_answers(services: Services) -> bool:
    async with services.database.engine.connect() as connection:
        return bool(await connection.scalar(text("SELECT 1")) == 1)


async def _timed(
    name: Literal["database", "redis"], answers: Awaitable[bool], *, limit: float
) -> CheckOut:
    """Run one check, bounded by ``limit`` seconds; any failure is ``down``."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            up = await answers
    except Exception:
        up = False
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckOut(name=name, state="up" if up else "down", latency_ms=latency, required=True)


async def _breaker(services: Services) -> CheckOut:
    started = time.perf_counter()
    state = await services.cometchat_jobs.breaker.state()
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckOut(name="cometchat", state=state, latency_ms=latency, required=False)
