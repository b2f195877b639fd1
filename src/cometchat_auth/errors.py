"""The refusals of the domain: plain exceptions, no HTTP in them.

Accounts, sessions, chat tokens and rate limits raise these; ``api/errors.py`` alone turns each
class into a status, a code and a message (the plug-in into the host's own format). A refusal
whose work must outlive it (a lock-out count, an audit event, a queued token deletion) is raised
through ``kept``, and the caller's transaction commits that work instead of rolling it back.
"""

from __future__ import annotations

from typing import TypeVar


class DomainError(Exception):
    """An expected refusal; the subclass says which."""

    #: Commit the work done before the refusal (see ``kept``); false unless set by ``kept``.
    keep_work: bool = False


E = TypeVar("E", bound=DomainError)


def kept(error: E) -> E:
    """``error``, marked so that the caller commits the work before it instead of rolling back.

    The one way a failed request keeps a write: the lock-out counter and audit event of a wrong
    password, the ending of a session whose refresh token was reused, the queued deletion of a
    CometChat token minted for a session that ended meanwhile.
    """
    error.keep_work = True
    return error


class InvalidCredentials(DomainError):
    """Unknown email, wrong password, or a locked account: one answer for all three."""


class AccountLocked(InvalidCredentials):
    """The account waits out a lock-out: answered as any wrong password, counted apart."""


class Unauthenticated(DomainError):
    """No signed-in session: the token is missing, invalid or expired, or its session ended."""


class ChatSessionEnded(Unauthenticated):
    """The chat session (the key a CometChat token is kept under) ended; it never restarts."""


class RefreshTokenInvalid(DomainError):
    """The refresh token is unknown or its session ended."""


class RefreshTokenReused(DomainError):
    """The refresh token was already used (its session ends)."""


class SessionNotFound(DomainError):
    """No live session of this account has this id."""


class MfaCodeInvalid(DomainError):
    """A wrong, replayed or used-up second-factor code, or one tried while locked out."""


class MfaTokenInvalid(DomainError):
    """The mfaToken of the second sign-in step is unknown, used or expired."""


class MfaAlreadyEnabled(DomainError):
    """An authenticator app is already set up."""


class MfaNotEnabled(DomainError):
    """No authenticator app is set up (or its set-up was not confirmed)."""


class PasskeyChallengeInvalid(DomainError):
    """The passkey answer's challenge is unknown, used or expired: ask for new options."""


class PasskeyInvalid(DomainError):
    """The authenticator's answer did not verify, or its passkey is unknown here."""


class PasskeyNotFound(DomainError):
    """None of this account's passkeys has this id."""


class EmailTaken(DomainError):
    """An account with this email already exists."""


class EmailNotVerified(DomainError):
    """REQUIRE_VERIFIED_EMAIL_FOR_CHAT: no CometChat token before the email is verified."""


class WeakPassword(DomainError, ValueError):
    """The policy refused a new password (a bad value, so a ValueError too); says why, never it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmailTokenInvalid(DomainError):
    """A mailed token that is unknown, of another purpose, or whose account is gone."""


class EmailTokenUsed(DomainError):
    """A mailed token already used."""


class EmailTokenExpired(DomainError):
    """A mailed token past its lifetime."""


class EmailTokenOutdated(DomainError):
    """A mailed token sent before the account's password or email changed."""


class RateLimitExceeded(DomainError):
    """Past a rate limit; the next attempt counts in ``retry_after`` seconds."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


class RateLimitUnavailable(DomainError):
    """The rate-limit storage cannot be reached: refused rather than let through unlimited."""
