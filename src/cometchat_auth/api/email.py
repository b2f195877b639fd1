"""Email verification and password reset: the endpoints, the pages the mails link to, local mail.

Asking for a mail always gets the same 202 at once: finding the account and queueing its mail
happen after the answer, so neither the body nor the timing tells whether an address has an
account. The mail itself goes through the outbox, so an SMTP outage delays it and loses nothing.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from cometchat_auth.accounts import email_tokens
from cometchat_auth.accounts import service as accounts
from cometchat_auth.accounts.email_tokens import Purpose
from cometchat_auth.api.answers import commit_and_settle
from cometchat_auth.api.client_ip import is_loopback
from cometchat_auth.api.deps import DbDep, ServicesDep, client_ip
from cometchat_auth.api.errors import LIMITED, responses
from cometchat_auth.api.hosts import is_loopback_host
from cometchat_auth.api.schemas import Body, Camel, Email, NewPassword, UserOut
from cometchat_auth.audit import Event, record
from cometchat_auth.mail import MAIL_SEND, NO_MAIL, Mail, MailFolder
from cometchat_auth.security.ratelimit import email_account
from cometchat_auth.services import Services
from cometchat_auth.settings import Settings
from cometchat_auth.store import UserRow

log = logging.getLogger(__name__)

router = APIRouter(tags=["email"])

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TOKEN_ERRORS = (
    "EMAIL_TOKEN_INVALID",
    "EMAIL_TOKEN_USED",
    "EMAIL_TOKEN_EXPIRED",
    "EMAIL_TOKEN_OUTDATED",
)
#: The page a mail of each purpose links to.
PAGES: dict[Purpose, str] = {"verify": "/verify", "reset": "/reset"}

_jitter = random.SystemRandom()

MailToken = Annotated[str, StringConstraints(min_length=16, max_length=128)]


class EmailIn(Body):
    email: Email


class TokenIn(Body):
    token: MailToken


class ResetIn(Body):
    token: MailToken
    password: NewPassword


class AcceptedOut(Camel):
    status: Literal["accepted"] = "accepted"
    message: str


async def _limit(request: Request, services: Services, email: str | None = None) -> None:
    """Password reset's limits (per IP, and per address when there is one) for every mail route."""
    account = email_account(email) if email else None
    await services.limits.hit("reset", ip=client_ip(request), account=account)


def valid_for(seconds: float) -> str:
    """``3600`` -> ``1 hour``: how long a link works, in the mail's words."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{max(1, round(seconds))} seconds"


def public_url(settings: Settings, path: str) -> str:
    # From the settings, never from the request's Host header: a forged Host would send the
    # victim's token to the attacker's site (reset poisoning).
    # Unset (local mode): the address served, which `serve --host/--port` put in the settings.
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = settings.public_url or f"http://{host}:{settings.port}"
    return base.rstrip("/") + path


def greeting_name(user: UserRow) -> str | None:
    # Anyone can register someone else's address, with a name that reads as an instruction:
    # until the address is confirmed, its mails carry no text of the account's choosing.
    return user.name if user.email_verified else None


async def mail_allowed(services: Services, address: str) -> bool:
    """Count a mail to ``address`` against MAIL_LIMIT_PER_ADDRESS (every kind together)."""
    if await services.limits.take("mail", email_account(address)):
        return True
    log.info("a mail was not sent: its address reached MAIL_LIMIT_PER_ADDRESS")
    return False


async def _enqueue_token_mail(
    db: AsyncSession, services: Services, user: UserRow, purpose: Purpose, *, delay: float = 0.0
) -> None:
    settings = services.settings
    ttl = settings.verify_token_ttl if purpose == "verify" else settings.reset_token_ttl
    token = await email_tokens.issue(db, user, purpose, ttl=ttl)
    values = {
        "name": greeting_name(user),
        "link": public_url(settings, f"{PAGES[purpose]}?token={token}"),
        "valid_for": valid_for(ttl),
    }
    mail = Mail(purpose, user.email, values)
    await services.outbox.enqueue(db, MAIL_SEND, mail.as_payload(), delay=delay)


async def queue_token_mail(
    db: AsyncSession, services: Services, user: UserRow, purpose: Purpose
) -> None:
    """Issue a token and queue its mail, in the caller's transaction (the caller commits)."""
    if await mail_allowed(services, user.email):
        await _enqueue_token_mail(db, services, user, purpose)


async def queue_taken_mail(db: AsyncSession, services: Services, user: UserRow) -> None:
    """Tell the owner of an address that someone tried to register with it (private mode)."""
    if not await mail_allowed(services, user.email):
        return
    values = {"name": greeting_name(user), "link": public_url(services.settings, "/")}
    mail = Mail("email_taken", user.email, values)
    await services.outbox.enqueue(db, MAIL_SEND, mail.as_payload())


async def _accept_mail_request(
    body: EmailIn,
    request: Request,
    services: Services,
    background: BackgroundTasks,
    purpose: Purpose,
    message: str,
) -> Response:
    """Limit, then the same 202 at once; the account is looked up after the answer."""
    await _limit(request, services, body.email)
    background.add_task(_mail_after_answer, services, body.email, purpose)
    # Built from constants only: byte for byte the same, whoever asks about whichever address.
    return JSONResponse(AcceptedOut(message=message).model_dump(by_alias=True), status_code=202)


async def _mail_after_answer(services: Services, email: str, purpose: Purpose) -> None:
    """Find the account and queue its mail; runs after the 202 went out.

    Known address or not, the same work: one count against the address's mail limit, one job
    queued (``NO_MAIL`` when there is nothing to send), one commit. A request that follows at
    once must not find the server busier after a known address.
    """
    try:
        async with services.database.sessionmaker() as db:
            user = await accounts.find_by_email(db, email)
            allowed = await mail_allowed(services, email)
            # Sent at a random moment a little later: composing and sending a real mail is work
            # the worker would otherwise do right beside that following request.
            most = services.settings.mail_delay_max
            delay = _jitter.uniform(most / 10, most)
            if allowed and user is not None and not (purpose == "verify" and user.email_verified):
                await _enqueue_token_mail(db, services, user, purpose, delay=delay)
            else:
                await services.outbox.enqueue(db, MAIL_SEND, NO_MAIL.as_payload(), delay=delay)
            await db.commit()
    except Exception as exc:
        # The answer is long gone; the type is enough to look into it, and shows no token.
        log.error("could not queue a %s mail: %s", purpose, type(exc).__name__)


@router.post(
    "/auth/verify/request",
    status_code=202,
    response_model=AcceptedOut,
    responses=responses(*LIMITED),
    summary="Mail a verification link (the same answer for any address)",
)
async def request_verification(
    body: EmailIn, request: Request, services: ServicesDep, background: BackgroundTasks
) -> Response:
    message = "If this address has an account still to confirm, a link is on its way."
    return await _accept_mail_request(body, request, services, background, "verify", message)


@router.post(
    "/auth/verify",
    response_model=UserOut,
    responses=responses(*TOKEN_ERRORS, *LIMITED),
    summary="Confirm the email with the token of a verification mail",
)
async def verify(body: TokenIn, request: Request, services: ServicesDep, db: DbDep) -> UserOut:
    await _limit(request, services)
    user = await email_tokens.consume(db, body.token, "verify")
    user.email_verified = True
    await db.commit()
    return UserOut.model_validate(user)


@router.post(
    "/auth/password/forgot",
    status_code=202,
    response_model=AcceptedOut,
    responses=responses(*LIMITED),
    summary="Mail a password reset link (the same answer, at once, for any address)",
)
async def forgot_password(
    body: EmailIn, request: Request, services: ServicesDep, background: BackgroundTasks
) -> Response:
    message = "If this address has an account, a link to choose a new password is on its way."
    return await _accept_mail_request(body, request, services, background, "reset", message)


@router.post(
    "/auth/password/reset",
    status_code=204,
    responses=responses(*TOKEN_ERRORS, "WEAK_PASSWORD", *LIMITED),
    summary="Set a new password with a reset token; every session ends, CometChat tokens flushed",
)
async def reset_password(
    body: ResetIn, request: Request, services: ServicesDep, db: DbDep
) -> Response:
    await _limit(request, services)
    # Checked and hashed before the first write: a refused password leaves the token usable, and
    # SQLite's one write lock is not held while argon2 works.
    password_hash = await services.passwords.hash_new(body.password)
    user = await email_tokens.consume(db, body.token, "reset")
    user.password_hash = password_hash
    # The mail reached its owner: that proves the address too, and ends any lock-out.
    user.email_verified = True
    await services.lockout.clear(db, user.email_key)
    await services.sessions.end_all(db, user.id, "password_reset", flush=True)
    record(db, Event.PASSWORD_CHANGED, user_id=user.id, email=user.email_key, via="reset")
    await commit_and_settle(db, services, user.id)  # as logout-all does
    return Response(status_code=204)


def token_page(name: str) -> FileResponse:
    # The token sits in this page's URL: no Referer may carry it to another site, no cache keep it.
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return FileResponse(WEB_DIR / name, headers=headers)


@router.get("/verify", include_in_schema=False)
async def verify_page() -> FileResponse:
    return token_page("verify.html")


@router.get("/reset", include_in_schema=False)
async def reset_page() -> FileResponse:
    return token_page("reset.html")


@router.get("/forgot", include_in_schema=False)
async def forgot_page() -> FileResponse:
    return FileResponse(WEB_DIR / "forgot.html")


def _local_mailbox(services: Services, request: Request) -> MailFolder:
    """The folder mails go to in local mode without SMTP, shown to this machine only; else 404.

    Every reset link is in it: a server bound to a public interface by mistake must not show it,
    nor a page of another site (no CORS headers on ``/dev/``, see ``Cors``).
    """
    sender = services.mailer.sender
    peer = request.client.host if request.client else None
    # The Host too: a page whose DNS rebinds to 127.0.0.1 comes from this machine under its name.
    local = is_loopback(peer) and is_loopback_host(request.headers.get("host"))
    if not services.settings.local or not isinstance(sender, MailFolder) or not local:
        raise HTTPException(404, "Not Found")
    return sender


@router.get("/dev/mail", include_in_schema=False)
def mailbox_page(services: ServicesDep, request: Request) -> FileResponse:
    _local_mailbox(services, request)
    return FileResponse(WEB_DIR / "mail.html", headers={"Cache-Control": "no-store"})


@router.get("/dev/mail/index.json", include_in_schema=False)
def mailbox_index(services: ServicesDep, request: Request) -> dict[str, Any]:
    mails = _local_mailbox(services, request).summaries()
    return {"mails": [asdict(summary) for summary in mails]}


@router.get("/dev/mail/{name}", include_in_schema=False)
def mailbox_mail(name: str, services: ServicesDep, request: Request) -> HTMLResponse:
    html = _local_mailbox(services, request).html(name)
    if html is None:
        raise HTTPException(404, "Not Found")
    # The mail's own HTML, shown as a mail app would: no script, no remote content.
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, headers=headers)
