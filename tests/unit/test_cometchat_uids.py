"""UIDs are checked before any request, with a message that says what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cometchat_auth.cometchat import InvalidUid, validate_uid


def test_a_valid_uid_comes_back_lower_cased() -> None:
    assert validate_uid("Alice_Smith-42") == "alice_smith-42"


def test_a_uid_of_exactly_100_characters_is_accepted() -> None:
    assert validate_uid("a" * 100) == "a" * 100


@pytest.mark.parametrize(
    ("uid", "reason"),
    [
        ("", "empty"),
        ("a" * 101, "at most 100"),
        ("has space", "only letters"),
        ("dot.ted", "only letters"),
        ("slash/path", "only letters"),
        ("ünïcode", "only letters"),
        ("new\nline", "only letters"),
    ],
)
def test_a_bad_uid_is_refused_with_its_reason(uid: str, reason: str) -> None:
    with pytest.raises(InvalidUid, match=reason):
        validate_uid(uid)


def test_invalid_uid_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="UID"):
        validate_uid("no way")


@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
        min_size=1,
        max_size=100,
    )
)
def test_every_alpha_dash_uid_is_accepted(uid: str) -> None:
    assert validate_uid(uid) == uid.lower()


@given(st.text(min_size=1, max_size=120))
def test_any_text_is_either_accepted_as_alpha_dash_or_refused(uid: str) -> None:
    try:
        result = validate_uid(uid)
    except InvalidUid:
        return
    assert 1 <= len(result) <= 100
    assert set(result) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-")


@pytest.mark.parametrize("uid", ["\u212a", "\u212aelvin", "ann\u0130", "\u017fam"])
def test_a_look_alike_that_lowers_to_ascii_is_refused_not_mapped(uid: str) -> None:
    # The Kelvin sign lowers to "k", the long s is an "s" to some: another user's uid.
    with pytest.raises(InvalidUid, match="only letters"):
        validate_uid(uid)
