"""``/cometchat/token``: the signed-in session's CometChat token, for ``CometChat.login``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cometchat_auth.api.answers import cometchat_out
from cometchat_auth.api.deps import (
    DbDep,
    LimitsDep,
    SessionsDep,
    SettingsDep,
    SignedInDep,
    client_ip,
)
from cometchat_auth.api.errors import COMETCHAT, LIMITED, responses
from cometchat_auth.api.schemas import TokenIn, TokenOut

router = APIRouter(prefix="/cometchat", tags=["cometchat"])


@router.post(
    "/token",
    response_model=TokenOut,
    responses=responses("UNAUTHENTICATED", "EMAIL_NOT_VERIFIED", *LIMITED, *COMETCHAT),
    summary="This session's CometChat token; rotate replaces it and deletes the old one",
)
async def cometchat_token(
    request: Request,
    me: SignedInDep,
    sessions: SessionsDep,
    limits: LimitsDep,
    settings: SettingsDep,
    db: DbDep,
    body: TokenIn | None = None,
) -> TokenOut:
    await limits.hit("mint", ip=client_ip(request), account=me.user.id)
    # The same token on every call keeps a user well inside CometChat's 100-token window.
    token = await sessions.cometchat_token(
        db, me.user, me.session, rotate=body.rotate if body else False
    )
    await db.commit()
    return TokenOut(auth_token=token, cometchat=cometchat_out(settings, sessions, me.user))
