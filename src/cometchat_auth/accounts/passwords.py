"""The one place for password policy and hashing (argon2id), modelled on Django's hashers.

Hashing is CPU work: it runs in a worker thread (argon2-cffi releases the GIL), so one login
never stalls the event loop; and one hash per usable core at most, since each holds its memory
cost (19 MiB) while it runs, and more at once than cores would only share them more slowly.

Imported accounts (``users import``) may bring other hashes: bcrypt, argon2i/d, scrypt in
passlib's format, and Firebase's scrypt variant. Each is checked at the account's first sign-in
and then replaced by an argon2id hash. An imported account without a hash gets an unusable one
(``!`` first, as Django does): no password opens it until a reset sets one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import bcrypt
from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

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


#: Marks a hash no password matches: an imported account that must reset its password.
UNUSABLE = "!"
FIREBASE_SCRYPT = "$firebase-scrypt$"
_BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_SCRYPT = re.compile(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([./A-Za-z0-9]+)\$([./A-Za-z0-9]+)")
_FIREBASE = re.compile(
    re.escape(FIREBASE_SCRYPT) + r"r=(\d+),m=(\d+)\$([^$]+)\$([^$]+)\$([^$]+)\$([^$]+)"
)


def unusable_hash() -> str:
    return UNUSABLE + secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class FirebaseScryptParams:
    """A Firebase project's password hash parameters (console: Authentication, Users, ⋮)."""

    signer_key: str  # base64
    salt_separator: str  # base64
    rounds: int
    mem_cost: int

    def encode(self, password_hash: str, salt: str) -> str:
        """One exported user's hash and salt (base64), stored with the project's parameters."""
        return (
            f"{FIREBASE_SCRYPT}r={self.rounds},m={self.mem_cost}"
            f"${self.signer_key}${self.salt_separator}${salt}${password_hash}"
        )


def scheme(encoded: str) -> str | None:
    """The hash's scheme if this module can check it: argon2, bcrypt, scrypt, firebase-scrypt."""
    if encoded.startswith("$argon2"):
        try:
            PasswordHasher().check_needs_rehash(encoded)  # parses it
        except (InvalidHashError, ValueError):
            return None
        return "argon2"
    for name, pattern in (
        ("bcrypt", _BCRYPT),
        ("scrypt", _SCRYPT),
        ("firebase-scrypt", _FIREBASE),
    ):
        if pattern.fullmatch(encoded):
            return name
    return None


def _ab64(text: str) -> bytes:
    """passlib's adapted base64: ``.`` for ``+``, no padding."""
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _verify_bcrypt(encoded: str, password: str) -> bool:
    # bcrypt reads 72 bytes at most; the systems that made these hashes cut the rest.
    return bcrypt.checkpw(password.encode()[:72], encoded.encode())


def _verify_scrypt(encoded: str, password: str) -> bool:
    found = _SCRYPT.fullmatch(encoded)
    assert found is not None
    log_n, r, p, salt, checksum = found.groups()
    expected = _ab64(checksum)
    derived = hashlib.scrypt(
        password.encode(),
        salt=_ab64(salt),
        n=2 ** int(log_n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
        maxmem=2**30,
    )
    return hmac.compare_digest(derived, expected)


def _verify_firebase_scrypt(encoded: str, password: str) -> bool:
    """Firebase's variant: scrypt(password, salt + separator) keys AES-256-CTR (zero IV), which
    encrypts the project's signer key; the result is the stored hash."""
    found = _FIREBASE.fullmatch(encoded)
    assert found is not None
    rounds, mem_cost, signer_key, separator, salt, expected = found.groups()
    derived = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt) + base64.b64decode(separator),
        n=2 ** int(mem_cost),
        r=int(rounds),
        p=1,
        dklen=64,
        maxmem=2**30,
    )
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(bytes(16))).encryptor()
    result = encryptor.update(base64.b64decode(signer_key)) + encryptor.finalize()
    return hmac.compare_digest(result, base64.b64decode(expected))


_IMPORTED = {
    "bcrypt": _verify_bcrypt,
    "scrypt": _verify_scrypt,
    "firebase-scrypt": _verify_firebase_scrypt,
}


T = TypeVar("T")


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
        max_parallel: int | None = None,
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
        #: Hashes in flight; the cores this process may run on by default (taskset counts).
        self._slots = CapacityLimiter(max_parallel or len(os.sched_getaffinity(0)))

    def check(self, password: str) -> str:
        """``check_policy`` with the settings' lengths, for a password being set."""
        return check_policy(password, **self._lengths)

    async def hash(self, password: str) -> str:
        with hashing():
            return await self._in_thread(self._hasher.hash, password)

    async def hash_new(self, password: str) -> str:
        """The hash of a password being set; WeakPassword if the policy refuses it."""
        return await self.hash(self.check(password))

    async def verify(self, encoded: str | None, password: str) -> tuple[bool, str | None]:
        """Whether ``password`` matches, and a new hash when the stored one uses old parameters
        or another scheme (an imported bcrypt or scrypt hash, say).

        With no stored hash (unknown email, or an unusable one) a dummy hash is verified, so the
        answer takes as long and timing does not tell which emails have accounts.
        """
        with hashing():
            ok = await self._in_thread(self._verify, encoded, password)
        if not ok or encoded is None or not self._needs_rehash(encoded):
            return ok, None
        return True, await self.hash(password)

    async def _in_thread(self, function: Callable[..., T], *args: str | None) -> T:
        return await to_thread.run_sync(function, *args, limiter=self._slots)

    def _needs_rehash(self, encoded: str) -> bool:
        return not encoded.startswith("$argon2id$") or self._hasher.check_needs_rehash(encoded)

    def _verify(self, encoded: str | None, password: str) -> bool:
        kind = scheme(encoded) if encoded is not None else None
        try:
            if encoded is not None and kind in _IMPORTED:
                return _IMPORTED[kind](encoded, password)
            if encoded is None or kind != "argon2":  # no account, an unusable or unknown hash
                self._hasher.verify(self._dummy, password)  # the same work, then no
                return False
            return self._hasher.verify(encoded, password)
        except (VerificationError, InvalidHashError, ValueError, binascii.Error):
            return False

    @cached_property
    def _dummy(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))
