"""The bundled list of common and breached passwords (SecLists, see ``data/README``).

Loaded once, on first use, into a frozenset: one O(1) lookup per password set.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files


@cache
def _folded() -> frozenset[str]:
    # Case-folded entries: "PASSWORD1" is as guessable as "password1".
    data = files("cometchat_auth.accounts").joinpath("data/common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line)


def is_common(password: str) -> bool:
    """Whether ``password`` is on the list, compared exactly and case-insensitively."""
    return password.casefold() in _folded()
