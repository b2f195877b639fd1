"""argon2id at OWASP's parameters, the policy, rehash on login, and the dummy verify."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from cometchat_auth.accounts.passwords import Passwords, check_policy


async def test_hash_uses_argon2id_with_owasp_parameters_by_default() -> None:
    passwords = Passwords()
    encoded = await passwords.hash("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passwords.verify(encoded, "correct horse battery") == (True, None)
    assert await passwords.verify(encoded, "correct horse batterY") == (False, None)


async def test_unknown_account_still_verifies_and_fails() -> None:
    assert await Passwords(memory_cost=64, time_cost=1).verify(None, "anything at all") == (
        False,
        None,
    )


async def test_old_parameters_get_a_new_hash_at_the_next_successful_login() -> None:
    old = PasswordHasher(memory_cost=64, time_cost=1, parallelism=1).hash("correct horse battery")
    passwords = Passwords(memory_cost=128, time_cost=2)
    ok, new = await passwords.verify(old, "correct horse battery")
    assert ok
    assert new is not None
    assert "m=128,t=2,p=1" in new
    assert await passwords.verify(new, "correct horse battery") == (True, None)
    assert await passwords.verify(old, "wrong password") == (False, None)


async def test_a_broken_stored_hash_fails_closed() -> None:
    assert await Passwords(memory_cost=64, time_cost=1).verify("not a hash", "x" * 10) == (
        False,
        None,
    )


@pytest.mark.parametrize(
    "password", ["k3#Tz9!q", "x" * 128, "  spaces  ", "пароль-пароль", "🔑" * 8]
)
def test_policy_allows_any_unicode_from_8_to_128(password: str) -> None:
    assert check_policy(password) == password


@pytest.mark.parametrize("password", ["", "1234567", "x" * 129])
def test_policy_refuses_short_and_absurd(password: str) -> None:
    with pytest.raises(ValueError, match="8 to 128"):
        check_policy(password)
