"""One account per mailbox, whatever the case; the address kept as typed for display."""

from __future__ import annotations

import pytest

from cometchat_auth.accounts.emails import email_key, normalize_email


def test_domain_is_normalised_and_the_key_ignores_case() -> None:
    assert normalize_email("Ann@Example.COM") == "Ann@example.com"
    assert email_key("Ann@Example.com") == email_key("ann@example.com") == "ann@example.com"


def test_compatibility_forms_fold_to_one_key() -> None:
    # A fullwidth letter is the same mailbox to a person reading it.
    assert email_key("\uff21nn@example.com") == email_key("ann@example.com")


@pytest.mark.parametrize("address", ["", "ann", "ann@", "@example.com", "ann@@example.com"])
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalize_email(address)
