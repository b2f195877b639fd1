"""Hashes brought by ``users import``: checked once, then replaced by argon2id."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
import pytest
from argon2 import PasswordHasher, Type

from cometchat_auth.accounts.passwords import (
    FirebaseScryptParams,
    Passwords,
    scheme,
    unusable_hash,
)

PASSWORD = "correct horse battery"

# Firebase's published interoperability vector (github.com/firebase/scrypt), not a credential.
FIREBASE = FirebaseScryptParams(
    signer_key="jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
    salt_separator="Bw==",
    rounds=8,
    mem_cost=14,
)
#: The vector's user: password "user1password".
VECTOR_HASH = (
    "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
)
VECTOR_SALT = "42xEC+ixf3L2lw=="
FIREBASE_HASH = FIREBASE.encode(VECTOR_HASH, VECTOR_SALT)


def _ab64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")


def passlib_scrypt(password: str, salt: bytes = b"0123456789abcdef") -> str:
    derived = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    return f"$scrypt$ln=10,r=8,p=1${_ab64(salt)}${_ab64(derived)}"


def bcrypt_hash(password: str, prefix: bytes = b"2b") -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()


def passwords() -> Passwords:
    return Passwords(memory_cost=64, time_cost=1)


@pytest.mark.parametrize(
    ("encoded", "password", "kind"),
    [
        (bcrypt_hash(PASSWORD, b"2b"), PASSWORD, "bcrypt"),
        (bcrypt_hash(PASSWORD, b"2a"), PASSWORD, "bcrypt"),
        (bcrypt_hash(PASSWORD).replace("$2b$", "$2y$", 1), PASSWORD, "bcrypt"),
        (
            PasswordHasher(time_cost=1, memory_cost=64, type=Type.I).hash(PASSWORD),
            PASSWORD,
            "argon2",
        ),
        (passlib_scrypt(PASSWORD), PASSWORD, "scrypt"),
        (FIREBASE_HASH, "user1password", "firebase-scrypt"),
    ],
)
async def test_an_imported_hash_opens_once_then_becomes_argon2id(
    encoded: str, password: str, kind: str
) -> None:
    assert scheme(encoded) == kind
    ok, new_hash = await passwords().verify(encoded, password)
    assert ok
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")
    assert await passwords().verify(new_hash, password) == (True, None)
    assert (await passwords().verify(encoded, password + "!"))[0] is False


def test_odd_hashes_are_not_recognised() -> None:
    for encoded in ("", "plain", "$2b$04$short", "$argon2id$v=19$nonsense", "$scrypt$ln=x"):
        assert scheme(encoded) is None


async def test_an_unusable_hash_opens_for_no_password() -> None:
    encoded = unusable_hash()
    assert await passwords().verify(encoded, "") == (False, None)
    assert await passwords().verify(encoded, encoded) == (False, None)
    assert await passwords().verify(encoded, encoded[1:]) == (False, None)


async def test_a_long_password_checks_against_bcrypt_s_72_bytes() -> None:
    long = "x" * 100
    encoded = bcrypt.hashpw(long.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert (await passwords().verify(encoded, long))[0]
