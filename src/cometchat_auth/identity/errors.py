"""What verifying a provider's token can refuse, as plain exceptions (``api/`` answers them)."""

from __future__ import annotations

from enum import StrEnum

from cometchat_auth.errors import DomainError


class Reason(StrEnum):
    """Why a token was refused: one stable code each, so a client can branch on it."""

    TOO_LARGE = "TOO_LARGE"
    MALFORMED = "MALFORMED"
    ALGORITHM_REFUSED = "ALGORITHM_REFUSED"
    KEY_UNKNOWN = "KEY_UNKNOWN"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    AUDIENCE_INVALID = "AUDIENCE_INVALID"
    ISSUER_INVALID = "ISSUER_INVALID"
    CLAIM_INVALID = "CLAIM_INVALID"
    UID_INVALID = "UID_INVALID"
    #: A logout token where an ID token belongs, or the other way round.
    WRONG_TYPE = "WRONG_TYPE"
    TOO_OLD = "TOO_OLD"
    REPLAYED = "REPLAYED"


MESSAGES: dict[Reason, str] = {
    Reason.TOO_LARGE: "The token is larger than this server accepts.",
    Reason.MALFORMED: "The token is not a well-formed signed JWT.",
    Reason.ALGORITHM_REFUSED: "The token's signing algorithm is not allowed for this provider.",
    Reason.KEY_UNKNOWN: "The token was signed with a key the identity provider does not publish.",
    Reason.SIGNATURE_INVALID: "The token's signature does not verify.",
    Reason.EXPIRED: "The token has expired; get a fresh one from the identity provider.",
    Reason.NOT_YET_VALID: "The token is not valid yet (check the clocks).",
    Reason.AUDIENCE_INVALID: "The token was issued for another audience.",
    Reason.ISSUER_INVALID: "The token was issued by another issuer.",
    Reason.CLAIM_INVALID: "A claim the token needs is missing or of the wrong type.",
    Reason.UID_INVALID: "The token's user id cannot be used as a CometChat uid.",
    Reason.WRONG_TYPE: "This kind of token is not accepted here.",
    Reason.TOO_OLD: "The token was issued too long ago.",
    Reason.REPLAYED: "This token was already used.",
}


class TokenRejected(DomainError):
    """The token is refused; ``reason`` says why. Never carries the token or its claims."""

    def __init__(self, reason: Reason, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.message = MESSAGES[reason]


class ChatSessionOver(DomainError):
    """The chat session this token's provider session (or sign-in) keys was ended: a logout
    there, ``/cometchat/exchange/end``, or its age. Ended sessions never restart."""


class ProviderUnavailable(DomainError):
    """The identity provider's keys cannot be fetched right now; retry after ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the identity provider's keys are unavailable (retry in {retry_after} s)")
        self.retry_after = retry_after
