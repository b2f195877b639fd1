"""Schemathesis against the live server's ``/openapi.json``: no 5xx, every answer as documented.

Each operation gets valid and invalid generated input, signed in with a fresh session per case
(a case may well sign out or delete what it was given).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation

from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.unlimited import UNLIMITED

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def server_url(make_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """Rate limits out of the way: hundreds of generated requests come from one address."""
    with make_server(**UNLIMITED) as url:
        yield url


@pytest.fixture
def sign_in(client: httpx.Client) -> Callable[[], dict[str, str]]:
    email = new_email()
    register(client, email=email)

    def fresh() -> dict[str, str]:
        answer = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        if answer.status_code != 200:  # a case deleted the account: carry on with another
            return bearer(register(client))
        return bearer(answer.json())

    return fresh


def test_every_operation_answers_as_documented(
    server_url: str, sign_in: Callable[[], dict[str, str]]
) -> None:
    operations = documented_operations(server_url)
    assert len(operations) >= 10
    for operation in operations:
        check_operation(operation, headers=sign_in)


def documented_operations(server_url: str) -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the server's ``/openapi.json``, which must itself be valid."""
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    return operations


def check_operation(
    operation: APIOperation[Any, Any, Any, Any],
    *,
    headers: Callable[[], dict[str, str]] = dict,
) -> None:
    """Valid and invalid generated input: no 5xx, and every answer as documented."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @EXAMPLES
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers(), checks=CHECKS)

    check()
