"""The bundled list of common and breached passwords (SecLists, see ``data/README``).

Loaded once, on first use, as one sorted block of UTF-8 lines and their offsets (1.3 MB; a
frozenset of the 100,000 strings held 9.5 MB in every worker): a binary search per password set.
"""

from __future__ import annotations

import gzip
from array import array
from bisect import bisect_left
from functools import cache
from importlib.resources import files
from itertools import accumulate


class _SortedLines:
    """Distinct lines, sorted, as one bytes object and the offset at which each starts."""

    def __init__(self, lines: set[bytes]) -> None:
        ordered = sorted(lines)
        self._text = b"\n".join(ordered) + b"\n"
        # One offset more than lines: where the next would start, so line n ends before n + 1.
        self._starts = array("I", accumulate((len(line) + 1 for line in ordered), initial=0))
        self._count = len(ordered)

    def _line(self, n: int) -> bytes:
        return self._text[self._starts[n] : self._starts[n + 1] - 1]

    def __contains__(self, wanted: bytes) -> bool:
        at = bisect_left(range(self._count), wanted, key=self._line)
        return at < self._count and self._line(at) == wanted


@cache
def _folded() -> _SortedLines:
    # Case-folded entries: "PASSWORD1" is as guessable as "password1".
    data = files("cometchat_auth.accounts").joinpath("data/common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return _SortedLines({line.casefold().encode() for line in lines if line})


def is_common(password: str) -> bool:
    """Whether ``password`` is on the list, compared exactly and case-insensitively."""
    # A lone surrogate (JSON allows one) encodes to bytes no UTF-8 line holds: not on the list.
    return password.casefold().encode("utf-8", "surrogatepass") in _folded()
