"""Request ids and the JSON formatter, without a server."""

from __future__ import annotations

import json
import logging

import pytest

from cometchat_auth.ops import context
from cometchat_auth.ops.logs import JsonFormatter


@pytest.mark.parametrize("header", ["abc-123", "a" * 128, "req.1:2_3"])
def test_a_plain_client_request_id_is_kept(header: str) -> None:
    assert context.request_id_from(header) == header


@pytest.mark.parametrize("header", [None, "", "a" * 129, "two\nlines", 'quote"d', "sp ace"])
def test_an_odd_client_request_id_is_replaced(header: str | None) -> None:
    # Log injection: a forged id must not write a second line or break the JSON.
    made = context.request_id_from(header)
    assert made != header
    assert len(made) == 32


def test_a_json_line_names_the_request_and_its_user() -> None:
    record = logging.LogRecord("x.y", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    token = context.begin(context.RequestContext("rid-1"))
    try:
        context.set_user("u1")
        entry = json.loads(JsonFormatter().format(record))
    finally:
        context.end(token)
    assert entry["message"] == "hello you"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "x.y"
    assert entry["request_id"] == "rid-1"
    assert entry["user_id"] == "u1"
    assert entry["route"] is None
    assert entry["time"].endswith("+00:00")
    outside = json.loads(JsonFormatter().format(record))
    assert "request_id" not in outside
