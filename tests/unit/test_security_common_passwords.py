"""The bundled common-password list: big enough, and looked up exactly and case-insensitively."""

from __future__ import annotations

import gzip
from importlib.resources import files

import pytest

from cometchat_auth.accounts.common_passwords import is_common


def test_the_list_holds_at_least_100000_passwords() -> None:
    data = files("cometchat_auth.accounts").joinpath("data/common-passwords.txt.gz").read_bytes()
    assert len(gzip.decompress(data).splitlines()) >= 100_000


@pytest.mark.parametrize("password", ["password", "12345678", "PassWord", "BASEBALL", "iloveyou"])
def test_common_passwords_are_found(password: str) -> None:
    assert is_common(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery", "Tr0ub4dor&3 staple", "ключ-от-двери"]
)
def test_uncommon_passwords_are_not(password: str) -> None:
    assert not is_common(password)


def test_every_entry_is_found_first_and_last_included() -> None:
    data = files("cometchat_auth.accounts").joinpath("data/common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    assert all(is_common(line) for line in lines if line)


@pytest.mark.parametrize("password", ["\ud800password", "password\n12345678", "", "\uffff" * 9])
def test_odd_passwords_are_answered_not_common(password: str) -> None:
    assert not is_common(password)
