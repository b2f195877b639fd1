"""``audit --since`` understands durations and ISO dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cometchat_auth.audit.query import parse_since

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-04-30", datetime(2026, 4, 30, tzinfo=UTC)),
        ("2026-04-30T10:00:00+02:00", datetime(2026, 4, 30, 8, tzinfo=UTC)),
    ],
)
def test_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_nonsense_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_since("yesterday-ish", NOW)
