"""One account per mailbox, whatever the case; the address kept as typed for display."""

from __future__ import annotations

import pytest

from cometchat_auth.accounts.emails import email_key, normalize_email


def test_domain_is_normalised_and_the_key_ignores_case() -> None:
    assert normalize_email("Ann@Example.COM") == "Ann@example.com"
    assert email_key("Ann@Example.com") == email_key("ann@example.com") == "ann@example.com"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # IDNA 2008 / UTS #46 non-transitional: ß and ς are letters of their own in a domain.
        ("alice@straße.de", "alice@strasse.de"),
        ("alice@οδος.gr", "alice@οδοσ.gr"),
        # The local part is the mail server's to interpret: no compatibility or full case folding.
        ("stra\u00dfe@example.com", "strasse@example.com"),
        ("\uff21nn@example.com", "ann@example.com"),
        ("\ufb01@example.com", "fi@example.com"),
    ],
)
def test_addresses_that_can_belong_to_different_people_never_share_a_key(
    one: str, other: str
) -> None:
    assert email_key(one) != email_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice@STRAẞE.DE", "alice@straße.de"),
        ("alice@xn--strae-oqa.de", "alice@straße.de"),
        ("ALICE@Example.COM", "alice@example.com"),
        ("ÄNN@example.com", "änn@example.com"),
        ("A\u0308nn@example.com", "änn@example.com"),  # NFC: one mailbox, however it is composed
    ],
)
def test_the_same_mailbox_typed_in_another_case_shares_its_key(one: str, other: str) -> None:
    assert email_key(one) == email_key(other)


def test_the_key_keeps_the_domain_in_unicode_lower_case() -> None:
    assert email_key("Alice@XN--STRAE-OQA.de") == "alice@straße.de"


@pytest.mark.parametrize("address", ["", "ann", "ann@", "@example.com", "ann@@example.com"])
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalize_email(address)
