"""Email addresses: validated and normalised for display, folded into a key for lookups."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


def normalize_email(address: str) -> str:
    """The address as typed, normalised (domain lowercased, IDNA); ValueError when it is not one."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def email_key(address: str) -> str:
    """The unique lookup key: ``Ann@Example.com`` and ``ann@example.com`` are one account."""
    return unicodedata.normalize("NFKC", normalize_email(address)).casefold()
