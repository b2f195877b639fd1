"""TOTP codes checked at fixed times: drift, replay, wrong codes and one-time recovery codes."""

from __future__ import annotations

import uuid

import pyotp
from cryptography.fernet import Fernet
from sqlalchemy import select

from cometchat_auth.accounts import totp
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.store import UserRow, open_database

T = 1_800_000_000.0  # a fixed time, at the start of a 30 s step
VAULT = TokenVault([Fernet.generate_key().decode()])


def wrong_code(app: pyotp.TOTP, at: float) -> str:
    """A six-digit code that no step around ``at`` has."""
    near = {app.at(at + 30 * offset) for offset in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111", "222222") if code not in near)


async def test_codes_at_fixed_times(database_url: str) -> None:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        user = UserRow(
            id=uuid.uuid4().hex,
            email="t@example.com",
            email_key=f"{uuid.uuid4().hex}@example.com",
            name="T",
            password_hash="x",
        )
        db.add(user)
        await db.flush()
        enrolment = await totp.start(db, VAULT, user, issuer="Chat Example")
        assert enrolment.uri.startswith("otpauth://totp/Chat%20Example:")
        assert f"secret={enrolment.secret}" in enrolment.uri
        assert enrolment.qr_svg.startswith("<svg")
        assert await totp.confirmed(db, user.id) is None  # pending until a first code
        app = pyotp.TOTP(enrolment.secret)

        assert await totp.confirm(db, VAULT, user, wrong_code(app, T), at=T) is None
        codes = await totp.confirm(db, VAULT, user, app.at(T), at=T)
        assert codes is not None
        assert len(set(codes)) == 10
        factor = await totp.confirmed(db, user.id)
        assert factor is not None

        # The confirming code is spent; so is any earlier step.
        assert not await totp.check(db, VAULT, factor, app.at(T), at=T + 5)
        assert not await totp.check(db, VAULT, factor, app.at(T - 30), at=T + 5)
        # One step of drift either way, not two.
        assert not await totp.check(db, VAULT, factor, app.at(T + 90), at=T + 30)
        assert await totp.check(db, VAULT, factor, app.at(T + 60), at=T + 30)  # a fast phone
        assert not await totp.check(db, VAULT, factor, app.at(T + 60), at=T + 31)  # replayed
        assert not await totp.check(db, VAULT, factor, app.at(T + 30), at=T + 31)  # older step
        assert await totp.check(db, VAULT, factor, app.at(T + 90), at=T + 120)  # a slow phone
        assert not await totp.check(db, VAULT, factor, wrong_code(app, T + 150), at=T + 150)

        # Recovery codes: typed in any case, each works once.
        assert await totp.recovery_codes_left(db, user.id) == 10
        assert await totp.check(db, VAULT, factor, f" {codes[0].upper()} ")
        assert not await totp.check(db, VAULT, factor, codes[0])
        assert await totp.check(db, VAULT, factor, codes[1].replace("-", ""))
        assert await totp.recovery_codes_left(db, user.id) == 8
        assert not await totp.check(db, VAULT, factor, "aaaaa-bbbbb")
        # Stored hashed: no code appears in the table.
        rows = totp.RecoveryCodeRow
        stored = set(await db.scalars(select(rows.code_hash).where(rows.user_id == user.id)))
        assert len(stored) == 10
        assert not stored & set(codes)
