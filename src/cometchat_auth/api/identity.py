"""Bring your own identity: ``/cometchat/exchange`` and OIDC back-channel logout."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from cometchat_auth.api.deps import DbDep, ServicesDep, client_ip
from cometchat_auth.api.errors import COMETCHAT, ID_TOKEN, LIMITED, ErrorEnvelope, responses
from cometchat_auth.api.schemas import CometChatOut, ExchangeIn, ExchangeOut
from cometchat_auth.chat_tokens import Principal
from cometchat_auth.identity.errors import ProviderUnavailable, Reason, TokenRejected
from cometchat_auth.identity.exchange import Exchange
from cometchat_auth.services import Services

log = logging.getLogger(__name__)

router = APIRouter(tags=["identity"])

NO_STORE = {"Cache-Control": "no-store"}
#: Every way an ID token is refused, for the OpenAPI document (age and replay: logout tokens).
ID_TOKEN_CODES = tuple(
    answer.code
    for reason, answer in ID_TOKEN.items()
    if reason not in (Reason.TOO_OLD, Reason.REPLAYED)
)


async def get_exchange(services: ServicesDep) -> Exchange:
    assert services.exchange is not None  # the routes are mounted only with an issuer set
    return services.exchange


ExchangeDep = Annotated[Exchange, Depends(get_exchange)]


async def verified(
    request: Request, body: ExchangeIn, exchange: ExchangeDep, services: ServicesDep
) -> Principal:
    """The ID token's holder, counted against the token limits per IP (bad tokens too) and
    per uid."""
    await services.limits.hit("mint", ip=client_ip(request))
    principal = await exchange.principal(body.id_token, body.device)
    await services.limits.hit("mint", account=principal.uid)
    return principal


PrincipalDep = Annotated[Principal, Depends(verified)]


@router.post(
    "/cometchat/exchange",
    response_model=ExchangeOut,
    responses=responses(
        *ID_TOKEN_CODES, "CHAT_SESSION_ENDED", "IDENTITY_PROVIDER_UNAVAILABLE", *LIMITED, *COMETCHAT
    ),
    summary="Exchange an identity provider's ID token for this chat session's CometChat token",
)
async def exchange_token(
    principal: PrincipalDep, exchange: ExchangeDep, services: ServicesDep, db: DbDep
) -> JSONResponse:
    exchanged = await exchange.exchange(db, principal)
    await db.commit()
    await services.cometchat_jobs.settle(principal.uid)  # a changed name reaches CometChat now
    body = ExchangeOut(
        auth_token=exchanged.auth_token,
        cometchat=_cometchat_out(services, principal.uid),
        chat_session=principal.key,
        expires_in=exchanged.expires_in,
    )
    return JSONResponse(body.model_dump(mode="json", by_alias=True), headers=NO_STORE)


@router.post(
    "/cometchat/exchange/end",
    status_code=204,
    responses=responses(*ID_TOKEN_CODES, "IDENTITY_PROVIDER_UNAVAILABLE", *LIMITED),
    summary="End the chat session of this ID token (its CometChat token is deleted)",
)
async def end_exchange(
    principal: PrincipalDep, exchange: ExchangeDep, services: ServicesDep, db: DbDep
) -> Response:
    await exchange.end(db, principal, "exchange_end")
    await db.commit()
    await services.cometchat_jobs.settle(principal.uid)
    return Response(status_code=204)


@router.post(
    "/oidc/backchannel-logout",
    summary="OpenID Connect Back-Channel Logout 1.0: the provider ends chat sessions",
    response_class=Response,
    responses={
        200: {"description": "The sessions the logout token names are ended."},
        400: {
            "description": "The logout token is missing or invalid (the spec's error JSON:"
            ' `{"error": "invalid_request", "error_description"}`).',
        },
        413: {"model": ErrorEnvelope, "description": "`PAYLOAD_TOO_LARGE`: the body is too large."},
        503: {"description": "The provider's keys cannot be fetched now; `Retry-After`."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["logout_token"],
                        "properties": {"logout_token": {"type": "string"}},
                    }
                }
            },
        }
    },
)
async def back_channel_logout(
    request: Request, exchange: ExchangeDep, services: ServicesDep, db: DbDep
) -> Response:
    logout_token = _form_field(await request.body(), request, "logout_token")
    if logout_token is None:
        return _invalid("The request needs one logout_token form field.")
    try:
        uids = await exchange.back_channel_logout(db, logout_token)
    except TokenRejected as exc:
        log.info("back-channel logout refused: %s", exc.reason)
        return _invalid(exc.message)
    except ProviderUnavailable as exc:
        return JSONResponse(
            {"error": "temporarily_unavailable", "error_description": str(exc)},
            status_code=503,
            headers={**NO_STORE, "Retry-After": str(exc.retry_after)},
        )
    await db.commit()
    for uid in uids:
        await services.cometchat_jobs.settle(uid)  # the tokens die now, or as soon as they can
    return Response(status_code=200, headers=NO_STORE)


def _form_field(body: bytes, request: Request, name: str) -> str | None:
    """One form field of an ``application/x-www-form-urlencoded`` body, or None."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    try:
        fields = parse_qs(body.decode(), max_num_fields=10, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    values = fields.get(name, [])
    return values[0] if len(values) == 1 else None


def _invalid(description: str) -> JSONResponse:
    """Back-Channel Logout 1.0, section 2.8: 400, with OAuth's error JSON."""
    body = {"error": "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=400, headers=NO_STORE)


def _cometchat_out(services: Services, uid: str) -> CometChatOut:
    settings = services.settings
    return CometChatOut(
        app_id=settings.cometchat_app_id or "", region=settings.cometchat_region, uid=uid
    )
