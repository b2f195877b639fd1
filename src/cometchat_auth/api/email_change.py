"""``/auth/email``: change the account's email; the link mailed to the new address applies it.

The answer is the same whether or not the new address already has an account: a taken address
gets no link (and the change can never apply), while the old address is told either way.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from cometchat_auth.accounts import email_change
from cometchat_auth.accounts import service as accounts
from cometchat_auth.api import email as mails
from cometchat_auth.api.deps import DbDep, ServicesDep, SignedInDep, client_ip
from cometchat_auth.api.errors import LIMITED, responses
from cometchat_auth.api.schemas import Body, Email, LoginPassword, UserOut
from cometchat_auth.mail import MAIL_SEND, NO_MAIL, Mail

router = APIRouter(tags=["email"])


class EmailChangeIn(Body):
    new_email: Email
    password: LoginPassword


@router.post(
    "/auth/email",
    status_code=202,
    response_model=mails.AcceptedOut,
    responses=responses("UNAUTHENTICATED", "INVALID_CREDENTIALS", *LIMITED),
    summary="Change the email: a link goes to the new address, a notice to the old one",
)
async def change_email(
    body: EmailChangeIn, request: Request, me: SignedInDep, services: ServicesDep, db: DbDep
) -> Response:
    await services.limits.hit("login", ip=client_ip(request), account=me.user.email_key)
    await accounts.check_password(
        db, services.passwords, me.user, body.password, lockout=services.lockout
    )
    settings, user = services.settings, me.user
    ttl = settings.verify_token_ttl
    token = await email_change.request(db, user, body.new_email, ttl=ttl)
    name = mails.greeting_name(user)
    if token is not None and await mails.mail_allowed(services, body.new_email):
        link = mails.public_url(settings, f"/email/confirm?token={token}")
        values = {"name": name, "link": link, "valid_for": mails.valid_for(ttl)}
        mail = Mail("email_change", body.new_email, values)
    else:
        mail = NO_MAIL  # the same work queued as for a free address
    await services.outbox.enqueue(db, MAIL_SEND, mail.as_payload())
    if await mails.mail_allowed(services, user.email):
        values = {
            "name": name,
            "new_email": body.new_email,
            "link": mails.public_url(settings, "/"),
        }
        notice = Mail("email_change_notice", user.email, values)
        await services.outbox.enqueue(db, MAIL_SEND, notice.as_payload())
    await db.commit()
    message = "Follow the link we mailed to the new address; until then the email stays as it is."
    answer = mails.AcceptedOut(message=message).model_dump(by_alias=True)
    return JSONResponse(answer, status_code=202)


@router.post(
    "/auth/email/confirm",
    response_model=UserOut,
    responses=responses(*mails.TOKEN_ERRORS, "EMAIL_TAKEN", *LIMITED),
    summary="Apply an email change with the token of the mail sent to the new address",
)
async def confirm_email_change(
    body: mails.TokenIn, request: Request, services: ServicesDep, db: DbDep
) -> UserOut:
    await services.limits.hit("reset", ip=client_ip(request))
    user = await email_change.confirm(db, body.token)
    await db.commit()
    return UserOut.model_validate(user)


@router.get("/email/confirm", include_in_schema=False)
async def confirm_page() -> FileResponse:
    return mails.token_page("email-confirm.html")
