"""``serve`` runs with glibc's malloc tuned for argon2id's memory; tunables set otherwise stay."""

from __future__ import annotations

import platform

import pytest

from cometchat_auth.serving import MALLOC_TUNABLES, malloc_tuned

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the tunables are glibc's"
)


def test_missing_tunables_are_added_and_the_rest_of_the_environment_kept() -> None:
    tuned = malloc_tuned({"PATH": "/bin"})
    assert tuned == {"PATH": "/bin", "GLIBC_TUNABLES": ":".join(MALLOC_TUNABLES)}


def test_tunables_set_otherwise_are_kept_and_win() -> None:
    own = "glibc.malloc.mmap_threshold=4194304:glibc.malloc.arena_max=2"
    tuned = malloc_tuned({"GLIBC_TUNABLES": own})
    assert tuned == {"GLIBC_TUNABLES": f"{own}:glibc.malloc.hugetlb=1"}


def test_nothing_to_do_once_they_are_set() -> None:
    tuned = malloc_tuned({})
    assert tuned is not None
    assert malloc_tuned(tuned) is None
