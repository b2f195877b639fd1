"""The error handlers: the last-resort 500 and CometChat's failures, all in the envelope."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from cometchat_auth.api import errors
from cometchat_auth.cometchat import BadRequest, RateLimited, Unavailable
from cometchat_auth.errors import DomainError
from cometchat_auth.identity import Reason, TokenRejected


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


def _every_domain_error() -> list[type[DomainError]]:
    found, todo = [], [DomainError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


@pytest.mark.parametrize("kind", _every_domain_error(), ids=lambda kind: kind.__name__)
def test_every_domain_error_has_an_answer_in_the_table(kind: type[DomainError]) -> None:
    # A refusal added to the domain without its line in api/errors.py would answer 500.
    if issubclass(kind, TokenRejected):
        assert set(errors.ID_TOKEN) == set(Reason)
        return
    answer = next(errors.DOMAIN[base] for base in kind.__mro__ if base in errors.DOMAIN)
    assert 400 <= answer.status < 600
    assert errors.CODES[answer.code] == answer
