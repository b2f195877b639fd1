"""The error handlers: the last-resort 500 and CometChat's failures, all in the envelope."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from cometchat_auth.api import errors
from cometchat_auth.cometchat import BadRequest, RateLimited, Unavailable


def app_raising(exc: Exception) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


async def get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


async def test_an_unexpected_error_is_a_logged_500_envelope_without_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = await get(app_raising(RuntimeError("internal detail")))
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on the server."}
    }
    assert any(record.exc_info for record in caplog.records if record.levelno == logging.ERROR)


@pytest.mark.parametrize(
    ("exc", "status", "code", "retry_after"),
    [
        (Unavailable("down"), 503, "COMETCHAT_UNAVAILABLE", "5"),
        (RateLimited("slow down", retry_after=7.4), 503, "COMETCHAT_UNAVAILABLE", "7"),
        (BadRequest("The auth token abc-secret does not exist"), 502, "COMETCHAT_ERROR", None),
    ],
)
async def test_cometchat_failures_map_to_502_and_503(
    exc: Exception, status: int, code: str, retry_after: str | None
) -> None:
    answer = await get(app_raising(exc))
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert answer.headers.get("retry-after") == retry_after
    assert "abc-secret" not in answer.text
