"""``/auth/passkeys`` (a signed-in user's passkeys) and ``/auth/passkey`` (sign in with one).

Signing in with a passkey answers exactly as a password login does: a session, its tokens and
the CometChat ``authToken``. A passkey is itself two factors (the device, and the PIN or
biometric its user verification asks for), so no TOTP code is asked after it.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request, Response

from cometchat_auth.accounts import passkeys
from cometchat_auth.accounts.passkeys import RelyingParty
from cometchat_auth.api.answers import signed_in_as
from cometchat_auth.api.deps import DbDep, ServicesDep, SignedInDep, TransportDep, client_ip
from cometchat_auth.api.errors import COMETCHAT, LIMITED, responses
from cometchat_auth.api.schemas import AuthOut, Body, Camel, Name
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import PasskeyNotFound
from cometchat_auth.settings import Settings

router = APIRouter(tags=["passkeys"])

PasskeyId = Annotated[str, Path(max_length=32)]


class CredentialIn(Body):
    """The browser's ``PublicKeyCredential``, as its ``toJSON()`` gives it."""

    credential: dict[str, Any]


class NewPasskeyIn(CredentialIn):
    name: Name = "Passkey"


class PasskeyRenameIn(Body):
    name: Name


class PasskeyOut(Camel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


def relying_party(settings: Settings) -> RelyingParty:
    """The RP ID and origin from PUBLIC_URL; ``localhost`` in place of an IP address, which
    cannot be an RP ID (local mode serves on 127.0.0.1, and also answers on localhost)."""
    served = settings.public_url or f"http://{settings.host}:{settings.port}"
    parts = urlsplit(served)
    host = parts.hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return RelyingParty(host, settings.app_name, (f"{parts.scheme}://{parts.netloc}",))
    port = f":{parts.port}" if parts.port else ""
    return RelyingParty("localhost", settings.app_name, (f"{parts.scheme}://localhost{port}",))


def _out(row: passkeys.PasskeyRow) -> PasskeyOut:
    return PasskeyOut(
        id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
    )


@router.post(
    "/auth/passkeys/options",
    responses=responses("UNAUTHENTICATED"),
    summary="Options for navigator.credentials.create: a new passkey for this account",
)
async def registration_options(me: SignedInDep, services: ServicesDep, db: DbDep) -> dict[str, Any]:
    options = await passkeys.registration_options(db, relying_party(services.settings), me.user)
    await db.commit()
    return options


@router.post(
    "/auth/passkeys",
    status_code=201,
    response_model=PasskeyOut,
    responses=responses("UNAUTHENTICATED", "PASSKEY_CHALLENGE_INVALID", "PASSKEY_INVALID"),
    summary="Register the passkey the browser created with those options",
)
async def register(
    body: NewPasskeyIn, me: SignedInDep, services: ServicesDep, db: DbDep
) -> PasskeyOut:
    rp = relying_party(services.settings)
    row = await passkeys.register(db, rp, me.user, body.credential, body.name)
    await db.commit()
    return _out(row)


@router.get(
    "/auth/passkeys",
    response_model=list[PasskeyOut],
    responses=responses("UNAUTHENTICATED"),
    summary="This account's passkeys",
)
async def list_passkeys(me: SignedInDep, db: DbDep) -> list[PasskeyOut]:
    return [_out(row) for row in await passkeys.list_for(db, me.user.id)]


@router.patch(
    "/auth/passkeys/{passkey_id}",
    response_model=PasskeyOut,
    responses=responses("UNAUTHENTICATED", "PASSKEY_NOT_FOUND"),
    summary="Rename a passkey",
)
async def rename(
    passkey_id: PasskeyId, body: PasskeyRenameIn, me: SignedInDep, db: DbDep
) -> PasskeyOut:
    row = await passkeys.find(db, me.user.id, passkey_id)
    if row is None:
        raise PasskeyNotFound
    row.name = body.name
    record(db, Event.PASSKEY_RENAMED, user_id=me.user.id, email=me.user.email_key, passkey=row.id)
    await db.commit()
    return _out(row)


@router.delete(
    "/auth/passkeys/{passkey_id}",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "PASSKEY_NOT_FOUND"),
    summary="Remove a passkey: it no longer signs in",
)
async def remove(passkey_id: PasskeyId, me: SignedInDep, db: DbDep) -> Response:
    row = await passkeys.find(db, me.user.id, passkey_id)
    if row is None:
        raise PasskeyNotFound
    await db.delete(row)
    record(db, Event.PASSKEY_REMOVED, user_id=me.user.id, email=me.user.email_key, passkey=row.id)
    await db.commit()
    return Response(status_code=204)


@router.post(
    "/auth/passkey/options",
    responses=responses(*LIMITED),
    summary="Options for navigator.credentials.get: sign in with a discoverable passkey",
)
async def login_options(request: Request, services: ServicesDep, db: DbDep) -> dict[str, Any]:
    await services.limits.hit("login", ip=client_ip(request))
    options = await passkeys.login_options(db, relying_party(services.settings))
    await db.commit()
    return options


@router.post(
    "/auth/passkey/login",
    response_model=AuthOut,
    responses=responses("PASSKEY_CHALLENGE_INVALID", "PASSKEY_INVALID", *LIMITED, *COMETCHAT),
    summary="Sign in with the passkey's answer: the same answer as POST /auth/login",
)
async def login(
    body: CredentialIn,
    request: Request,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
) -> Response:
    await services.limits.hit("login", ip=client_ip(request))
    user = await passkeys.authenticate(db, relying_party(services.settings), body.credential)
    return await signed_in_as(request, services, transport, db, user)
