"""``/auth/mfa``: set up and turn off an authenticator app (TOTP), and the second sign-in step.

A password login of an account with a confirmed factor answers ``{"mfaRequired": true,
"mfaToken"}`` (see ``second_step``) and no session; ``POST /auth/mfa/verify`` with that token and
a code then answers exactly as the login would have.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts import mfa_tokens, totp
from cometchat_auth.accounts import service as accounts
from cometchat_auth.api.answers import signed_in_as
from cometchat_auth.api.deps import DbDep, ServicesDep, SignedInDep, TransportDep, client_ip
from cometchat_auth.api.errors import COMETCHAT, LIMITED, responses
from cometchat_auth.api.schemas import (
    AuthOut,
    MfaCodeIn,
    MfaProofIn,
    MfaRequiredOut,
    MfaStatusOut,
    MfaVerifyIn,
    RecoveryCodesOut,
    TotpEnrolmentOut,
)
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import MfaAlreadyEnabled, MfaCodeInvalid, MfaNotEnabled, MfaTokenInvalid
from cometchat_auth.services import Services
from cometchat_auth.store import UserRow

router = APIRouter(prefix="/auth/mfa", tags=["second factor"])


async def second_step(db: AsyncSession, user: UserRow) -> JSONResponse | None:
    """For an account with a second factor, the ``mfaRequired`` answer (committed), else None."""
    if await totp.confirmed(db, user.id) is None:
        return None
    token = await mfa_tokens.issue(db, user)
    record(db, Event.MFA_REQUIRED, user_id=user.id, email=user.email_key)
    await db.commit()
    body = MfaRequiredOut(mfa_token=token).model_dump(by_alias=True)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/verify",
    response_model=AuthOut,
    responses=responses("MFA_TOKEN_INVALID", "MFA_CODE_INVALID", *LIMITED, *COMETCHAT),
    summary="The second sign-in step: the mfaToken and a code; answers as the login does",
)
async def verify(
    body: MfaVerifyIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    await services.limits.hit("login", ip=client_ip(request))
    user = await mfa_tokens.holder(db, body.mfa_token)
    if user is None or user.disabled_at is not None:
        raise MfaTokenInvalid
    await services.limits.hit("login", account=user.email_key)
    await totp.prove(db, services.vault, services.lockout, user, body.code)
    if not await mfa_tokens.spend(db, body.mfa_token):  # a concurrent verify won
        raise MfaTokenInvalid
    record(db, Event.MFA_SUCCEEDED, user_id=user.id, email=user.email_key)
    return await signed_in_as(request, services, transport, db, user)


@router.get(
    "",
    response_model=MfaStatusOut,
    responses=responses("UNAUTHENTICATED"),
    summary="Whether an authenticator app is set up, and how many recovery codes are left",
)
async def status(me: SignedInDep, db: DbDep) -> MfaStatusOut:
    enrolled = await totp.confirmed(db, me.user.id) is not None
    left = await totp.recovery_codes_left(db, me.user.id) if enrolled else 0
    return MfaStatusOut(totp=enrolled, recovery_codes_left=left)


@router.post(
    "/totp",
    status_code=201,
    response_model=TotpEnrolmentOut,
    responses=responses("UNAUTHENTICATED", "MFA_ALREADY_ENABLED"),
    summary="Start setting up an authenticator app: its secret, otpauth:// URI and QR code",
)
async def start_totp(
    me: SignedInDep, services: ServicesDep, db: DbDep, response: Response
) -> TotpEnrolmentOut:
    if await totp.confirmed(db, me.user.id) is not None:
        raise MfaAlreadyEnabled
    issuer = services.settings.app_name
    enrolment = await totp.start(db, services.vault, me.user, issuer=issuer)
    await db.commit()
    response.headers["Cache-Control"] = "no-store"
    return TotpEnrolmentOut(
        secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg
    )


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodesOut,
    responses=responses(
        "UNAUTHENTICATED", "MFA_CODE_INVALID", "MFA_ALREADY_ENABLED", "MFA_NOT_ENABLED", *LIMITED
    ),
    summary="Confirm the set-up with a first code; answers the ten recovery codes, once",
)
async def confirm_totp(
    body: MfaCodeIn,
    request: Request,
    me: SignedInDep,
    services: ServicesDep,
    db: DbDep,
    response: Response,
) -> RecoveryCodesOut:
    await _limit(services, request, me.user)
    if await totp.confirmed(db, me.user.id) is not None:
        raise MfaAlreadyEnabled
    codes = await totp.confirm(db, services.vault, me.user, body.code)
    if codes is None:
        raise MfaCodeInvalid
    return await _show_once(codes, Event.MFA_ENABLED, me.user, db, response)


@router.delete(
    "/totp",
    status_code=204,
    responses=responses(
        "UNAUTHENTICATED", "INVALID_CREDENTIALS", "MFA_CODE_INVALID", "MFA_NOT_ENABLED", *LIMITED
    ),
    summary="Turn the authenticator app off: the password and a code (or a recovery code) confirm",
)
async def disable_totp(
    body: MfaProofIn, request: Request, me: SignedInDep, services: ServicesDep, db: DbDep
) -> Response:
    await _prove_owner(body, request, me.user, services, db)
    await totp.remove(db, me.user.id)
    record(db, Event.MFA_DISABLED, user_id=me.user.id, email=me.user.email_key)
    await db.commit()
    return Response(status_code=204)


@router.post(
    "/recovery-codes",
    response_model=RecoveryCodesOut,
    responses=responses(
        "UNAUTHENTICATED", "INVALID_CREDENTIALS", "MFA_CODE_INVALID", "MFA_NOT_ENABLED", *LIMITED
    ),
    summary="Ten new recovery codes, shown once; the old ones stop working. The password and a"
    " code confirm",
)
async def renew_recovery_codes(
    body: MfaProofIn,
    request: Request,
    me: SignedInDep,
    services: ServicesDep,
    db: DbDep,
    response: Response,
) -> RecoveryCodesOut:
    await _prove_owner(body, request, me.user, services, db)
    codes = await totp.new_recovery_codes(db, me.user.id)
    return await _show_once(codes, Event.MFA_RECOVERY_CODES_RENEWED, me.user, db, response)


async def _show_once(
    codes: list[str], event: Event, user: UserRow, db: AsyncSession, response: Response
) -> RecoveryCodesOut:
    """New recovery codes: the event recorded and committed, the answer never cached."""
    record(db, event, user_id=user.id, email=user.email_key)
    await db.commit()
    response.headers["Cache-Control"] = "no-store"
    return RecoveryCodesOut(recovery_codes=codes)


async def _prove_owner(
    body: MfaProofIn, request: Request, user: UserRow, services: Services, db: AsyncSession
) -> None:
    """The account's password and a code (each counted as a sign-in), for a change to the factor.

    A stolen access token alone must not turn it off or read new recovery codes.
    """
    await _limit(services, request, user)
    if await totp.confirmed(db, user.id) is None:
        raise MfaNotEnabled
    await accounts.check_password(
        db, services.passwords, user, body.password, lockout=services.lockout
    )
    await totp.prove(db, services.vault, services.lockout, user, body.code)


async def _limit(services: Services, request: Request, user: UserRow) -> None:
    # Codes are sign-in secrets: the sign-in limits count them.
    await services.limits.hit("login", ip=client_ip(request), account=user.email_key)
