"""``/auth``: register, login, refresh, logout and the signed-in account; logic lives below."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn, TypedDict

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts import service as accounts
from cometchat_auth.api import email as mails
from cometchat_auth.api import mfa
from cometchat_auth.api.answers import (
    commit_and_settle,
    sign_in,
    signed_in_response,
    signed_out_response,
)
from cometchat_auth.api.deps import (
    DbDep,
    ServicesDep,
    SignedIn,
    SignedInDep,
    TransportDep,
    client_ip,
)
from cometchat_auth.api.errors import COMETCHAT, LIMITED, USE_POST, Refusal, responses
from cometchat_auth.api.schemas import (
    AuthOut,
    LoginIn,
    MfaRequiredOut,
    PasswordChangeIn,
    PasswordConfirmIn,
    ProfileIn,
    RefreshIn,
    RegisterIn,
    RegistrationPendingOut,
    UserOut,
)
from cometchat_auth.api.transports import Transport
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import (
    AccountLocked,
    InvalidCredentials,
    RateLimitExceeded,
    RefreshTokenInvalid,
    Unauthenticated,
    kept,
)
from cometchat_auth.ops.metrics import SIGN_INS
from cometchat_auth.security.ratelimit import email_account
from cometchat_auth.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])


class _Client(TypedDict):
    user_agent: str | None
    ip: str | None


def _client(request: Request) -> _Client:
    return {
        "user_agent": request.headers.get("user-agent"),
        "ip": client_ip(request),
    }


@router.post(
    "/register",
    status_code=201,
    response_model=AuthOut,
    responses={
        **responses("EMAIL_TAKEN", "WEAK_PASSWORD", *LIMITED, *COMETCHAT),
        202: {"model": RegistrationPendingOut, "description": "Private mode: verify the email."},
    },
    summary="Create an account and its CometChat user; signs in (private mode: 202, no session)",
)
async def register(
    body: RegisterIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    await services.limits.hit("register", ip=client_ip(request), account=email_account(body.email))
    new = accounts.NewAccount(body.email, body.password, body.name)
    if services.settings.registration_mode == "private":
        user = await accounts.register_privately(
            db,
            services.cometchat_jobs,
            services.passwords,
            new,
            on_registration_for_taken_email=lambda db, owner: mails.queue_taken_mail(
                db, services, owner
            ),
        )
        if user is not None:
            await mails.queue_token_mail(db, services, user, "verify")
        await db.commit()
        # The same answer for a new and a taken address; no session until the email is verified.
        return JSONResponse(RegistrationPendingOut().model_dump(by_alias=True), status_code=202)
    user = await accounts.create_account(db, services.cometchat_jobs, services.passwords, new)
    if not services.sessions.may_chat(user):
        await mails.queue_token_mail(db, services, user, "verify")  # chat waits for its link
    issued = await sign_in(db, services.sessions, user, **_client(request))
    return signed_in_response(services, transport, issued, status=201)


@router.post(
    "/login",
    response_model=AuthOut | MfaRequiredOut,
    responses=responses("INVALID_CREDENTIALS", *LIMITED, *COMETCHAT),
    summary="Sign in: a new session and a new CometChat token (or, with a second factor,"
    " an mfaToken for POST /auth/mfa/verify)",
)
async def login(
    body: LoginIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    with _sign_in_counted() as outcome:
        await services.limits.hit("login", ip=client_ip(request), account=email_account(body.email))
        user = await accounts.authenticate(
            db,
            services.passwords,
            email=body.email,
            password=body.password,
            lockout=services.lockout,
        )
        if services.settings.registration_mode == "private" and not user.email_verified:
            # Answered as a wrong password: anyone may register an address with a password of
            # their choice, so telling "unverified" apart would say whether the address was free.
            # The right password still counts as a success (lock-out, audit).
            raise kept(InvalidCredentials())
        second = await mfa.second_step(db, user)
        if second:
            outcome.value = "mfa"
    if second:
        return second  # no session, no CometChat token until a code comes
    issued = await sign_in(db, services.sessions, user, **_client(request))
    return signed_in_response(services, transport, issued)


@dataclass
class _Outcome:
    value: str = "success"


@contextlib.contextmanager
def _sign_in_counted() -> Iterator[_Outcome]:
    """Count the password check's outcome: success (or mfa, when the block says a second factor
    is asked for), wrong, locked, limited."""
    outcome = _Outcome()
    try:
        yield outcome
    except RateLimitExceeded:
        SIGN_INS.labels("limited").inc()
        raise
    except AccountLocked:
        SIGN_INS.labels("locked").inc()
        raise
    except InvalidCredentials:
        SIGN_INS.labels("wrong").inc()
        raise
    SIGN_INS.labels(outcome.value).inc()


@router.get(
    "/login",
    response_model=None,
    responses=responses("USE_POST", "PASSWORD_IN_QUERY"),
    summary="Refused: credentials go in a POST body",
)
async def login_with_get() -> NoReturn:
    raise Refusal(USE_POST)


@router.post(
    "/refresh",
    response_model=AuthOut,
    responses=responses("REFRESH_TOKEN_INVALID", "REFRESH_TOKEN_REUSED", *LIMITED, *COMETCHAT),
    summary="Trade a refresh token for new tokens (the refresh token rotates)",
)
async def refresh(
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
    body: RefreshIn | None = None,
) -> Response:
    token = transport.refresh_token(request, body.refresh_token if body else None)
    if not token:
        raise RefreshTokenInvalid
    await services.limits.hit("refresh", ip=client_ip(request))
    issued = await services.sessions.refresh(
        db, token, limit=lambda session_id: services.limits.hit("refresh", account=session_id)
    )
    await db.commit()
    return signed_in_response(services, transport, issued)


@router.post(
    "/logout",
    status_code=204,
    responses=responses("UNAUTHENTICATED"),
    summary="End this session and delete its CometChat token (the refresh token will do too)",
)
async def logout(
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
    body: RefreshIn | None = None,
) -> Response:
    me = await _signing_out(request, services, transport, db, body)
    await services.sessions.end(db, me.session, "logout")
    record(db, Event.LOGOUT, user_id=me.user.id, email=me.user.email_key, session=me.session.id)
    await commit_and_settle(db, services, me.user.id)
    return signed_out_response(transport)


async def _signing_out(
    request: Request,
    services: Services,
    transport: Transport,
    db: AsyncSession,
    body: RefreshIn | None,
) -> SignedIn:
    """The access token's session or, once that token expired, the refresh token's: a client
    must be able to end its session (and its CometChat token) without refreshing first."""
    access = transport.access_token(request)
    with contextlib.suppress(Unauthenticated):
        if access:
            return SignedIn(*await services.sessions.authenticate(db, access))
    refresh = transport.refresh_token(request, body.refresh_token if body else None)
    if not refresh:
        raise Unauthenticated
    return SignedIn(*await services.sessions.holder(db, refresh))


@router.post(
    "/logout-all",
    status_code=204,
    responses=responses("UNAUTHENTICATED"),
    summary="End every session of the account and flush its CometChat tokens",
)
async def logout_all(
    me: SignedInDep, services: ServicesDep, transport: TransportDep, db: DbDep
) -> Response:
    await services.sessions.end_all(db, me.user.id, "logout_all", flush=True)
    record(db, Event.LOGOUT_ALL, user_id=me.user.id, email=me.user.email_key)
    await commit_and_settle(db, services, me.user.id)
    return signed_out_response(transport)


@router.get("/me", response_model=UserOut, responses=responses("UNAUTHENTICATED"))
async def me(me: SignedInDep) -> UserOut:
    return UserOut.model_validate(me.user)


@router.patch(
    "/me",
    response_model=UserOut,
    responses=responses("UNAUTHENTICATED"),
    summary="Change name and/or avatar, here and (queued) in CometChat",
)
async def update_me(body: ProfileIn, me: SignedInDep, services: ServicesDep, db: DbDep) -> UserOut:
    changes = body.model_dump(include=body.model_fields_set)
    await accounts.update_profile(db, services.cometchat_jobs, me.user, changes)
    await commit_and_settle(db, services, me.user.id)
    return UserOut.model_validate(me.user)


@router.post(
    "/password",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "INVALID_CREDENTIALS", "WEAK_PASSWORD", *LIMITED),
    summary="Change the password; every other session ends and its CometChat token is deleted",
)
async def change_password(
    body: PasswordChangeIn, request: Request, me: SignedInDep, services: ServicesDep, db: DbDep
) -> Response:
    await services.limits.hit("login", ip=client_ip(request), account=me.user.email_key)
    await accounts.change_password(
        db,
        services.passwords,
        me.user,
        current=body.current_password,
        new=body.new_password,
        lockout=services.lockout,
    )
    await services.sessions.end_all(db, me.user.id, "password_changed", keep=me.session)
    record(db, Event.PASSWORD_CHANGED, user_id=me.user.id, email=me.user.email_key)
    await commit_and_settle(db, services, me.user.id)
    return Response(status_code=204)


@router.delete(
    "/me",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "INVALID_CREDENTIALS", *LIMITED),
    summary="Delete the account and (queued) its CometChat user; the password confirms",
)
async def delete_me(
    body: PasswordConfirmIn,
    request: Request,
    me: SignedInDep,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    await services.limits.hit("login", ip=client_ip(request), account=me.user.email_key)
    await accounts.check_password(
        db, services.passwords, me.user, body.password, lockout=services.lockout
    )
    await accounts.delete_account(db, services.cometchat_jobs, me.user)
    await commit_and_settle(db, services, me.user.id)
    return signed_out_response(transport)
