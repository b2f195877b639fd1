"""``/auth``: register, login, refresh, logout and the signed-in account; logic lives below."""

from __future__ import annotations

from typing import NoReturn

from fastapi import APIRouter, Request, Response

from cometchat_auth.accounts import service as accounts
from cometchat_auth.api.answers import signed_in_response
from cometchat_auth.api.deps import DbDep, ServicesDep, SignedInDep, TransportDep
from cometchat_auth.api.schemas import (
    AuthOut,
    LoginIn,
    PasswordChangeIn,
    PasswordConfirmIn,
    ProfileIn,
    RefreshIn,
    RegisterIn,
    UserOut,
)
from cometchat_auth.errors import RefreshTokenInvalid, UsePost, responses

router = APIRouter(prefix="/auth", tags=["auth"])

COMETCHAT = ("COMETCHAT_ERROR", "COMETCHAT_UNAVAILABLE")


def _client(request: Request) -> dict[str, str | None]:
    return {
        "user_agent": request.headers.get("user-agent"),
        "ip": request.client.host if request.client else None,
    }


@router.post(
    "/register",
    status_code=201,
    response_model=AuthOut,
    responses=responses("EMAIL_TAKEN", *COMETCHAT),
    summary="Create an account and its CometChat user; signs in",
)
async def register(
    body: RegisterIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    user, token = await accounts.create_account(
        db,
        services.cometchat,
        services.passwords,
        email=body.email,
        password=body.password,
        name=body.name,
        with_token=True,
    )
    issued = await services.sessions.start(db, user, cometchat_token=token, **_client(request))
    await db.commit()
    return signed_in_response(services, transport, issued, status=201)


@router.post(
    "/login",
    response_model=AuthOut,
    responses=responses("INVALID_CREDENTIALS", *COMETCHAT),
    summary="Sign in: a new session and a new CometChat token",
)
async def login(
    body: LoginIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    user = await accounts.authenticate(
        db, services.passwords, email=body.email, password=body.password
    )
    issued = await services.sessions.start(db, user, **_client(request))
    await db.commit()
    return signed_in_response(services, transport, issued)


@router.get(
    "/login",
    response_model=None,
    responses=responses("USE_POST", "PASSWORD_IN_QUERY"),
    summary="Refused: credentials go in a POST body",
)
async def login_with_get() -> NoReturn:
    raise UsePost


@router.post(
    "/refresh",
    response_model=AuthOut,
    responses=responses("REFRESH_TOKEN_INVALID", "REFRESH_TOKEN_REUSED", *COMETCHAT),
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
    issued = await services.sessions.refresh(db, token)
    await db.commit()
    return signed_in_response(services, transport, issued)


@router.post(
    "/logout",
    status_code=204,
    responses=responses("UNAUTHENTICATED"),
    summary="End this session and delete its CometChat token",
)
async def logout(
    me: SignedInDep, services: ServicesDep, transport: TransportDep, db: DbDep
) -> Response:
    await services.sessions.end(db, me.session, "logout")
    await db.commit()
    response = Response(status_code=204)
    transport.clear(response)
    return response


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
    await db.commit()
    response = Response(status_code=204)
    transport.clear(response)
    return response


@router.get("/me", response_model=UserOut, responses=responses("UNAUTHENTICATED"))
async def me(me: SignedInDep) -> UserOut:
    return UserOut.model_validate(me.user)


@router.patch(
    "/me",
    response_model=UserOut,
    responses=responses("UNAUTHENTICATED", *COMETCHAT),
    summary="Change name and/or avatar, here and in CometChat",
)
async def update_me(body: ProfileIn, me: SignedInDep, services: ServicesDep, db: DbDep) -> UserOut:
    changes = body.model_dump(include=body.model_fields_set)
    await accounts.update_profile(services.cometchat, me.user, changes)
    await db.commit()
    return UserOut.model_validate(me.user)


@router.post(
    "/password",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "INVALID_CREDENTIALS"),
    summary="Change the password; every other session ends and its CometChat token is deleted",
)
async def change_password(
    body: PasswordChangeIn, me: SignedInDep, services: ServicesDep, db: DbDep
) -> Response:
    await accounts.change_password(
        services.passwords, me.user, current=body.current_password, new=body.new_password
    )
    await services.sessions.end_all(db, me.user.id, "password_changed", keep=me.session)
    await db.commit()
    return Response(status_code=204)


@router.delete(
    "/me",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "INVALID_CREDENTIALS", *COMETCHAT),
    summary="Delete the account and its CometChat user (the password confirms)",
)
async def delete_me(
    body: PasswordConfirmIn,
    me: SignedInDep,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    await accounts.check_password(services.passwords, me.user, body.password)
    await accounts.delete_account(db, services.cometchat, me.user)
    await db.commit()
    response = Response(status_code=204)
    transport.clear(response)
    return response
