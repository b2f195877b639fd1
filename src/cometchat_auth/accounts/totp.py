"""A second factor: TOTP (RFC 6238) with one-time recovery codes.

The secret is kept encrypted (it is a shared key, not a hash), a factor counts only once a
first code confirmed it, and each accepted time step is remembered so no code works twice.
Recovery codes are random, shown once and kept as SHA-256 hashes; each works once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime

import pyotp
import segno
from sqlalchemy import ForeignKey, Integer, String, Text, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cometchat_auth.accounts.lockout import Lockout
from cometchat_auth.audit import Event, record
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.errors import MfaCodeInvalid, MfaNotEnabled, kept
from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import UserRow
from cometchat_auth.store.models import Base, UTCDateTime, utcnow

RECOVERY_CODES = 10
#: Steps either side of now that still count: phones' clocks drift, people type slowly.
DRIFT = 1


class TotpFactorRow(Base):
    __tablename__ = "totp_factors"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: Fernet ciphertext of the base32 secret.
    secret: Mapped[str] = mapped_column(Text)
    #: None while enrolment waits for its first code: until then the factor does not count.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last time step accepted: a code of it, or of an earlier step, is a replay.
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the authenticator app needs: the secret, as text, as a URI and as a QR code."""

    secret: str = field(repr=False)
    uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


async def confirmed(db: AsyncSession, user_id: str) -> TotpFactorRow | None:
    """The user's TOTP factor if enrolled (confirmed); a pending one does not count."""
    row = await db.get(TotpFactorRow, user_id)
    return row if row is not None and row.confirmed_at is not None else None


async def start(db: AsyncSession, vault: TokenVault, user: UserRow, *, issuer: str) -> Enrolment:
    """A new pending secret for ``user``, replacing any earlier pending one; the caller commits.

    The caller refuses this when a factor is already confirmed (it must be disabled first).
    """
    secret = pyotp.random_base32()
    await db.execute(delete(TotpFactorRow).where(TotpFactorRow.user_id == user.id))
    db.add(TotpFactorRow(user_id=user.id, secret=vault.seal(secret), last_step=0))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title="Scan with your authenticator app")
    return Enrolment(secret, uri, qr)


async def confirm(
    db: AsyncSession, vault: TokenVault, user: UserRow, code: str, *, at: float | None = None
) -> list[str] | None:
    """Confirm the pending factor with its first code: the recovery codes, or None for a wrong
    code; MfaNotEnabled with nothing pending. The caller commits."""
    row = await db.get(TotpFactorRow, user.id)
    if row is None or row.confirmed_at is not None:
        raise MfaNotEnabled  # nothing waits for a first code
    if not await _accept_step(db, vault, row, code, at):
        return None
    row.confirmed_at = utcnow()
    return await new_recovery_codes(db, user.id)


async def new_recovery_codes(db: AsyncSession, user_id: str) -> list[str]:
    """Ten fresh recovery codes (the old ones die); only their hashes are kept."""
    await db.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    db.add_all(RecoveryCodeRow(code_hash=_hash_code(code), user_id=user_id) for code in codes)
    return codes


async def check(
    db: AsyncSession, vault: TokenVault, row: TotpFactorRow, code: str, *, at: float | None = None
) -> bool:
    """Whether ``code`` is a current TOTP code not used before, or an unused recovery code;
    either is spent by this call. The caller commits."""
    if not code.strip().isdigit():
        return await _spend_recovery_code(db, row.user_id, code)
    return await _accept_step(db, vault, row, code, at)


async def prove(
    db: AsyncSession, vault: TokenVault, lockout: Lockout, user: UserRow, code: str
) -> None:
    """MfaCodeInvalid unless ``code`` is a good TOTP or recovery code for ``user`` (and spend it).

    Counted by the lock-out under a key of its own: a right password clears the password's
    failures, and must not clear the codes' too. A failure keeps its count and event (``kept``).
    """
    key = f"mfa:{user.id}"
    if await lockout.locked(db, key):  # checked first: a locked-out try spends no recovery code
        ok = False
    else:
        factor = await confirmed(db, user.id)
        ok = factor is not None and await check(db, vault, factor, code)
        verdict = await lockout.attempt(db, key, password_ok=ok)
        if verdict.locked_for is not None:
            seconds = int(verdict.locked_for.total_seconds())
            record(db, Event.LOCKED_OUT, user_id=user.id, email=user.email_key, seconds=seconds)
    if not ok:
        record(db, Event.MFA_FAILED, user_id=user.id, email=user.email_key)
        raise kept(MfaCodeInvalid())


async def recovery_codes_left(db: AsyncSession, user_id: str) -> int:
    left = await db.scalar(
        select(func.count())
        .select_from(RecoveryCodeRow)
        .where(RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None))
    )
    return int(left or 0)


async def remove(db: AsyncSession, user_id: str) -> None:
    """Forget the factor and its recovery codes; the caller commits."""
    await db.execute(delete(TotpFactorRow).where(TotpFactorRow.user_id == user_id))
    await db.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))


async def _accept_step(
    db: AsyncSession, vault: TokenVault, row: TotpFactorRow, code: str, at: float | None
) -> bool:
    secret = vault.open(row.secret)
    code = code.strip()
    if secret is None or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at if at is not None else time.time())
    for step in range(now - DRIFT, now + DRIFT + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            # Only a step later than the last accepted one; in SQL, so two requests racing with
            # the same code cannot both win.
            moved = await db.execute(
                update(TotpFactorRow)
                .where(TotpFactorRow.user_id == row.user_id, TotpFactorRow.last_step < step)
                .values(last_step=step)
                .execution_options(synchronize_session=False)
            )
            return getattr(moved, "rowcount", 0) == 1
    return False


async def _spend_recovery_code(db: AsyncSession, user_id: str, code: str) -> bool:
    spent = await db.execute(
        update(RecoveryCodeRow)
        .where(
            RecoveryCodeRow.code_hash == _hash_code(code),
            RecoveryCodeRow.user_id == user_id,
            RecoveryCodeRow.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return getattr(spent, "rowcount", 0) == 1


def _recovery_code() -> str:
    """``xxxxx-xxxxx``: 50 random bits in an alphabet with no look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _hash_code(code: str) -> str:
    # Typed back by people: case, spaces and the dash do not matter.
    return hash_token("".join(code.lower().split()).replace("-", ""))
