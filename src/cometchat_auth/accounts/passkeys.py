"""Passkeys (WebAuthn, with py_webauthn): register, list, rename, remove, and sign in.

Every ceremony starts with a random challenge the server keeps for a short while and accepts
once; the browser's answer carries it back (in ``clientDataJSON``), which is how it is found.
Registration and sign-in both require user verification; the sign counter must move forward
(a counter that goes back means a cloned authenticator).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import webauthn
from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from cometchat_auth.audit import Event, record
from cometchat_auth.errors import PasskeyChallengeInvalid, PasskeyInvalid, kept
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import Base, UTCDateTime, utcnow

#: How long a ceremony may take: enough to find the phone and touch the sensor.
CHALLENGE_TTL = timedelta(minutes=5)
Ceremony = Literal["register", "login"]


class PasskeyRow(Base):
    __tablename__ = "passkeys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: base64url, as the browser names it.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebAuthnChallengeRow(Base):
    __tablename__ = "webauthn_challenges"

    #: base64url of the random challenge: the browser's answer quotes it.
    challenge: Mapped[str] = mapped_column(String(128), primary_key=True)
    ceremony: Mapped[str] = mapped_column(String(16))
    #: The registering user; None for a sign-in (a discoverable passkey names its user).
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys belong to: ``id`` a domain (never an IP address), the origins allowed."""

    id: str
    name: str
    origins: tuple[str, ...]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _new_challenge(db: AsyncSession, ceremony: Ceremony, user_id: str | None) -> bytes:
    challenge = secrets.token_bytes(32)
    db.add(
        WebAuthnChallengeRow(
            challenge=_b64url(challenge),
            ceremony=ceremony,
            user_id=user_id,
            expires_at=utcnow() + CHALLENGE_TTL,
        )
    )
    return challenge


async def _spend_challenge(
    db: AsyncSession, credential: dict[str, Any], ceremony: Ceremony, user_id: str | None
) -> bytes:
    """The challenge the browser answered, now used up; PasskeyChallengeInvalid if it is not
    one of ours for this ceremony (and user), or was used, or expired."""
    try:
        client_data_json = credential["response"]["clientDataJSON"]
        client_data = json.loads(webauthn.base64url_to_bytes(client_data_json))
        quoted = str(client_data["challenge"])
    except (KeyError, TypeError, ValueError):
        raise PasskeyInvalid from None
    now = utcnow()
    spent = await db.execute(
        update(WebAuthnChallengeRow)
        .where(
            WebAuthnChallengeRow.challenge == quoted,
            WebAuthnChallengeRow.ceremony == ceremony,
            WebAuthnChallengeRow.user_id.is_not_distinct_from(user_id),
            WebAuthnChallengeRow.used_at.is_(None),
            WebAuthnChallengeRow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise PasskeyChallengeInvalid
    return webauthn.base64url_to_bytes(quoted)


async def registration_options(db: AsyncSession, rp: RelyingParty, user: UserRow) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for ``navigator.credentials.create``."""
    existing = await list_for(db, user.id)
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user.id.encode(),
        user_name=user.email,
        user_display_name=user.name,
        challenge=await _new_challenge(db, "register", user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(row.credential_id))
            for row in existing
        ],
    )
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return parsed


async def register(
    db: AsyncSession, rp: RelyingParty, user: UserRow, credential: dict[str, Any], name: str
) -> PasskeyRow:
    """Check the authenticator's answer and keep its public key; the caller commits."""
    challenge = await _spend_challenge(db, credential, "register", user.id)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        raise PasskeyInvalid from None
    row = PasskeyRow(
        id=uuid.uuid4().hex,
        user_id=user.id,
        credential_id=_b64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
    )
    db.add(row)
    try:
        await db.flush()
    except IntegrityError:  # this authenticator is registered already
        raise PasskeyInvalid from None
    record(db, Event.PASSKEY_ADDED, user_id=user.id, email=user.email_key, passkey=row.id)
    return row


async def login_options(db: AsyncSession, rp: RelyingParty) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON`` for a discoverable passkey (no user named)."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=await _new_challenge(db, "login", None),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return parsed


async def authenticate(db: AsyncSession, rp: RelyingParty, credential: dict[str, Any]) -> UserRow:
    """The account whose passkey signed this challenge; PasskeyInvalid otherwise (a disabled
    account too). The caller commits (the counter moved, the challenge is spent)."""
    challenge = await _spend_challenge(db, credential, "login", None)
    passkey = await db.scalar(
        select(PasskeyRow).where(PasskeyRow.credential_id == str(credential.get("id", "")))
    )
    user = await db.get(UserRow, passkey.user_id) if passkey else None
    if passkey is None or user is None or user.disabled_at is not None:
        raise PasskeyInvalid
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        record(db, Event.LOGIN_FAILED, user_id=user.id, email=user.email_key, passkey=passkey.id)
        raise kept(PasskeyInvalid()) from None  # the challenge stays spent, the failure audited
    # Only from the count read: of two sign-ins racing with one answer, one wins.
    moved = await db.execute(
        update(PasskeyRow)
        .where(PasskeyRow.id == passkey.id, PasskeyRow.sign_count == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise PasskeyInvalid
    record(db, Event.LOGIN_SUCCEEDED, user_id=user.id, email=user.email_key, passkey=passkey.id)
    return user


async def list_for(db: AsyncSession, user_id: str) -> list[PasskeyRow]:
    rows = await db.scalars(
        select(PasskeyRow).where(PasskeyRow.user_id == user_id).order_by(PasskeyRow.created_at)
    )
    return list(rows)


async def find(db: AsyncSession, user_id: str, passkey_id: str) -> PasskeyRow | None:
    """One of the user's passkeys; None for another user's or an unknown id."""
    row = await db.get(PasskeyRow, passkey_id)
    return row if row is not None and row.user_id == user_id else None


async def sweep(db: AsyncSession) -> None:
    """Delete challenges that can no longer be answered; the caller commits."""
    await db.execute(
        delete(WebAuthnChallengeRow).where(
            or_(
                WebAuthnChallengeRow.expires_at <= utcnow(),
                WebAuthnChallengeRow.used_at.is_not(None),
            )
        )
    )
