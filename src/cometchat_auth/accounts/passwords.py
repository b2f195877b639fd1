"""The one place for password policy and hashing (argon2id), modelled on Django's hashers.

Hashing is CPU work: it runs in a worker thread (argon2-cffi releases the GIL), so one login
never stalls the event loop.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from anyio import to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from cometchat_auth.accounts.common_passwords import is_common
from cometchat_auth.errors import WeakPassword
from cometchat_auth.ops.metrics import hashing

#: The floor of PASSWORD_MIN_LENGTH and the bound of PASSWORD_MAX_LENGTH (NIST: allow at least 64).
MIN_LENGTH = 8
MAX_LENGTH = 128
MAX_LENGTH_FLOOR = 64


#: OWASP's argon2id minimums (memory in KiB, iterations), parallelism 1: equal defences.
OWASP_FLOOR = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def meets_owasp_floor(memory_cost: int, time_cost: int) -> bool:
    """Whether argon2id with these costs is at least one of OWASP's recommended settings."""
    return any(memory_cost >= m and time_cost >= t for m, t in OWASP_FLOOR)


def check_policy(
    password: str, *, min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH
) -> str:
    """The password unchanged if the policy allows it, else WeakPassword saying why.

    Length and the common-password list only: any unicode, no truncation, no composition rules.
    """
    if not min_length <= len(password) <= max_length:
        raise WeakPassword(f"a password has {min_length} to {max_length} characters")
    if is_common(password):
        raise WeakPassword("this password is too common: attackers try it first; choose another")
    return password


class Passwords:
    """argon2id hashing with the settings' cost; OWASP's m=19 MiB, t=2, p=1 by default."""

    def __init__(
        self,
        *,
        memory_cost: int = 19456,
        time_cost: int = 2,
        parallelism: int = 1,
        min_length: int = MIN_LENGTH,
        max_length: int = MAX_LENGTH,
    ) -> None:
        # Impossible bounds stop the start instead of quietly weakening the policy.
        if min_length < MIN_LENGTH:
            raise ValueError(f"PASSWORD_MIN_LENGTH must be at least {MIN_LENGTH}")
        if not MAX_LENGTH_FLOOR <= max_length <= MAX_LENGTH:
            raise ValueError(f"PASSWORD_MAX_LENGTH must be {MAX_LENGTH_FLOOR} to {MAX_LENGTH}")
        self._hasher = PasswordHasher(
            memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism, type=Type.ID
        )
        self._lengths = {"min_length": min_length, "max_length": max_length}

    def check(self, password: str) -> str:
        """``check_policy`` with the settings' lengths, for a password being set."""
        return check_policy(password, **self._lengths)

    async def hash(self, password: str) -> str:
        with hashing():
            return await to_thread.run_sync(self._hasher.hash, password)

    async def hash_new(self, password: str) -> str:
        """The hash of a password being set; WeakPassword if the policy refuses it."""
        return await self.hash(self.check(password))

    async def verify(self, encoded: str | None, password: str) -> tuple[bool, str | None]:
        """Whether ``password`` matches, and a new hash when the stored one uses old parameters.

        With no stored hash (unknown email) a dummy hash is verified, so the answer takes as long
        and timing does not tell which emails have accounts.
        """
        with hashing():
            ok = await to_thread.run_sync(self._verify, encoded, password)
        if not ok or encoded is None or not self._hasher.check_needs_rehash(encoded):
            return ok, None
        return True, await self.hash(password)

    def _verify(self, encoded: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(encoded or self._dummy, password) and encoded is not None
        except (VerificationError, InvalidHashError):
            return False

    @cached_property
    def _dummy(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))
