"""Build the answers that hand out tokens, the same way for register, login and refresh; and
finish the requests that change what CometChat holds, the same way for each."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.api.deps import client_ip
from cometchat_auth.api.schemas import AuthOut, CometChatOut, UserOut
from cometchat_auth.api.transports import Transport
from cometchat_auth.ops.context import set_user
from cometchat_auth.services import Services
from cometchat_auth.sessions.service import Issued, SessionManager
from cometchat_auth.settings import Settings
from cometchat_auth.store import UserRow


def cometchat_out(
    settings: Settings, sessions: SessionManager, user: UserRow, *, ready: bool = True
) -> CometChatOut:
    return CometChatOut(
        app_id=settings.cometchat_app_id or "",
        region=settings.cometchat_region,
        uid=user.id,
        # Not ready: CometChat is out, or REQUIRE_VERIFIED_EMAIL_FOR_CHAT waits for the email.
        status=(
            "ready"
            if ready
            else ("unavailable" if sessions.may_chat(user) else "email_not_verified")
        ),
    )


def signed_in_response(
    services: Services, transport: Transport, issued: Issued, *, status: int = 200
) -> JSONResponse:
    set_user(issued.user.id)
    body = AuthOut(
        user=UserOut.model_validate(issued.user),
        auth_token=issued.cometchat_token,
        retry_after=issued.retry_after if issued.cometchat_token is None else None,
        cometchat=cometchat_out(
            services.settings,
            services.sessions,
            issued.user,
            ready=issued.cometchat_token is not None,
        ),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=services.sessions.access.ttl,
    )
    hidden = set() if transport.tokens_in_body else {"access_token", "refresh_token"}
    response = JSONResponse(
        body.model_dump(mode="json", by_alias=True, exclude=hidden), status_code=status
    )
    transport.issue(response, issued.access_token, issued.refresh_token)
    # Tokens must not sit in shared or browser caches.
    response.headers["Cache-Control"] = "no-store"
    return response


async def sign_in(
    db: AsyncSession,
    sessions: SessionManager,
    user: UserRow,
    *,
    user_agent: str | None,
    ip: str | None,
) -> Issued:
    """A new session, committed, then its first CometChat token, committed (register, login).

    Minting only after the first commit means a failed commit cannot orphan a token.
    """
    started = await sessions.start(db, user, user_agent=user_agent, ip=ip)
    await db.commit()
    issued = await sessions.first_token(db, started)
    await db.commit()
    return issued


async def signed_in_as(
    request: Request, services: Services, transport: Transport, db: AsyncSession, user: UserRow
) -> JSONResponse:
    """A new session for ``user`` from this request's device, and the login answer: how the
    second-factor step and a passkey end, exactly as a password login does."""
    issued = await sign_in(
        db,
        services.sessions,
        user,
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
    )
    return signed_in_response(services, transport, issued)


async def commit_and_settle(db: AsyncSession, services: Services, user_id: str) -> None:
    """Commit, then run the user's CometChat jobs so that, while CometChat is well, it is in step
    by the time the answer goes; while it is not, the outbox's worker catches up."""
    await db.commit()
    await services.cometchat_jobs.settle(user_id)


def signed_out_response(transport: Transport) -> Response:
    response = Response(status_code=204)
    transport.clear(response)
    return response
