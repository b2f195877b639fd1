"""Injected trouble (latency, 5xx, 429, dropped connections) in front of the REST API."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .config import Faults
from .errors import ApiError
from .runtime import Emulator, is_rest_call

#: Faults as JSON (camelCase, like every other body here) and back.
FAULT_FIELDS = {
    "latency": "latency",
    "errorRate": "error_rate",
    "rateLimitRate": "rate_limit_rate",
    "dropRate": "drop_rate",
    "seed": "seed",
}

SERVER_ERRORS = (
    ApiError(500, "ERR_EXCEPTION", "Something went wrong. Please try again later."),
    ApiError(502, "ERR_MISSION_FAILED", "Bad gateway. Please try again later."),
    ApiError(503, "ERR_OPERATION_FAILED", "Service unavailable. Please try again later."),
)


def faults_json(faults: Faults) -> dict[str, Any]:
    return {key: getattr(faults, name) for key, name in FAULT_FIELDS.items()}


class InjectFaults:
    """ASGI middleware drawing, per request, whether to delay, fail, throttle or drop it."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.emulator.faults
        if not is_rest_call(scope):
            await self.app(scope, receive, send)
            return
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        draw = self.emulator.random.random()
        if draw < faults.drop_rate:
            await drop(send)
            return
        draw -= faults.drop_rate
        if draw < faults.error_rate:
            error = self.emulator.random.choice(SERVER_ERRORS)
            await error.response()(scope, receive, send)
            return
        draw -= faults.error_rate
        if draw < faults.rate_limit_rate:
            throttled = ApiError(
                429,
                "ERR_TOO_MANY_REQUESTS",
                "Too many requests. Please try again later.",
                headers={"Retry-After": "1"},
            )
            await throttled.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def drop(send: Send) -> None:
    """Promise a body and never send it: the server then closes the connection mid-answer."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"64"), (b"content-type", b"application/json")],
        }
    )
