"""Request and response bodies: camelCase, unknown fields refused, every string bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from cometchat_auth.accounts.emails import normalize_email
from cometchat_auth.accounts.names import check_display_name
from cometchat_auth.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from cometchat_auth.api.errors import ErrorBody

Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(normalize_email)]
#: At login any length up to the maximum is checked against the hash; the policy applies on set.
LoginPassword = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LENGTH)]
NewPassword = Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_display_name),
]
AvatarUrl = Annotated[str, StringConstraints(max_length=3000, pattern=r"^https?://\S+$")]


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Body(Camel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text, and no name, email or password needs one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class RegisterIn(Body):
    email: Email
    password: NewPassword
    name: Name


class LoginIn(Body):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: LoginPassword


class RefreshIn(Body):
    """Bearer transport: the refresh token in the body. Cookie transport: in its cookie."""

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None


class ProfileIn(Body):
    """The fields to change; ``avatar: null`` removes the avatar."""

    name: Name | None = None
    avatar: AvatarUrl | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> Self:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class PasswordChangeIn(Body):
    current_password: LoginPassword
    new_password: NewPassword


class PasswordConfirmIn(Body):
    password: LoginPassword


class TokenIn(Body):
    rotate: bool = False


class UserOut(Camel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    avatar: str | None
    email_verified: bool
    created_at: datetime


class CometChatOut(Camel):
    """What ``CometChat.init`` and ``login`` need besides the token."""

    app_id: str
    region: str
    uid: str
    #: ``unavailable``: CometChat could not be reached; the token comes from ``/cometchat/token``.
    #: ``email_not_verified``: REQUIRE_VERIFIED_EMAIL_FOR_CHAT, and the email is not verified yet.
    status: Literal["ready", "unavailable", "email_not_verified"] = "ready"


class TokenOut(Camel):
    auth_token: str
    cometchat: CometChatOut


class ExchangeIn(Body):
    #: The identity provider's JWT (an ID token, or an access token of the same issuer).
    id_token: Annotated[str, StringConstraints(min_length=1, max_length=65536)]
    #: A stable id of this device, for providers that name no session in their tokens.
    device: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class ExchangeOut(TokenOut):
    """The exchange's answer: the chat session's CometChat token, and that session."""

    #: The chat session's id: the same for every exchange of one provider session.
    chat_session: str
    #: Seconds until the chat session ends by age (SESSION_MAX_AGE).
    expires_in: int


class AuthOut(TokenOut):
    """The login answer: ``user`` and ``authToken`` at the top level, as in the tutorial.

    The cookie transport leaves out ``accessToken`` and ``refreshToken``: no script may read them.
    """

    user: UserOut
    #: None while CometChat is out (``cometchat.status`` says ``unavailable``).
    auth_token: str | None  # type: ignore[assignment]
    #: Seconds to wait before asking ``/cometchat/token``, when ``authToken`` is null.
    retry_after: int | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


TotpCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=16)]


class MfaCodeIn(Body):
    """A code from the authenticator app, or a recovery code (``xxxxx-xxxxx``)."""

    code: TotpCode


class MfaVerifyIn(MfaCodeIn):
    mfa_token: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class MfaProofIn(MfaCodeIn):
    """The password and a code: what turning the factor off or renewing recovery codes asks."""

    password: LoginPassword


class MfaRequiredOut(Camel):
    """A right password on an account with a second factor: no session yet, a code first."""

    mfa_required: Literal[True] = True
    #: Single-use, valid for five minutes: send it with a code to ``POST /auth/mfa/verify``.
    mfa_token: str


class MfaStatusOut(Camel):
    totp: bool
    recovery_codes_left: int


class TotpEnrolmentOut(Camel):
    """Shown once: the secret to type, the same as an ``otpauth://`` URI and as a QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(Camel):
    """Shown once; each works once in place of a code, only their hashes are kept."""

    recovery_codes: list[str]


class DeviceOut(Camel):
    """One live session, as the account's owner sees it in "Your devices"."""

    id: str
    created_at: datetime
    last_used_at: datetime
    #: A short label from the User-Agent header: "Firefox on Linux".
    device: str
    user_agent: str | None
    ip: str | None
    #: The session this request was made with.
    current: bool


class HealthOut(Camel):
    status: Literal["ok"] = "ok"


class CheckOut(Camel):
    """One dependency as ``/readyz`` saw it."""

    name: Literal["database", "redis", "cometchat"]
    #: ``up`` or ``down``; for CometChat the breaker's ``closed``, ``opened`` or ``half-opened``.
    state: str
    latency_ms: float
    #: Whether a failed check makes the server not ready (CometChat's does not: sign-in goes on).
    required: bool


class ReadyOut(Camel):
    status: Literal["ready"] = "ready"
    checks: list[CheckOut]


class NotReadyOut(Camel):
    """``/readyz``'s 503: the error envelope and the checks that say why."""

    status: Literal["not_ready"] = "not_ready"
    checks: list[CheckOut]
    error: ErrorBody


class RegistrationPendingOut(Camel):
    """Private registration mode: one answer whether or not the address already has an account."""

    status: Literal["pending_verification"] = "pending_verification"
    message: str = "If this address can be registered, a mail is on its way: follow its link."
