"""Email addresses: validated and normalised for display, folded into a key for lookups.

The key's rule: two addresses that can belong to different people never share a key, and the same
mailbox typed in another case always does. So the domain goes through IDNA 2008 / UTS #46
(non-transitional: ``ß`` and ``ς`` stay letters of their own, as DNS resolves them) and then lower
case; the local part, which only its mail server interprets, is lower-cased in NFC and never
compatibility-folded (a fullwidth ``A`` or ``ß`` -> ``ss`` could be someone else's mailbox).
"""

from __future__ import annotations

import unicodedata

import idna
from email_validator import EmailNotValidError, validate_email


def normalize_email(address: str) -> str:
    """The address as typed, normalised (domain lowercased, IDNA); ValueError when it is not one."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def email_key(address: str) -> str:
    """The unique lookup key: ``Ann@Example.com`` and ``ann@example.com`` are one account."""
    local, _, domain = normalize_email(address).rpartition("@")
    try:
        ascii_domain = idna.encode(domain, uts46=True, transitional=False)
    except idna.IDNAError as exc:
        raise ValueError(f"the domain is not a valid IDNA name: {exc}") from None
    return f"{unicodedata.normalize('NFC', local).lower()}@{idna.decode(ascii_domain).lower()}"
