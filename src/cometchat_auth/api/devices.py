"""``/auth/sessions``: the signed-in user's devices, and signing one of them out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Path, Response

from cometchat_auth.api.answers import commit_and_settle, signed_out_response
from cometchat_auth.api.deps import DbDep, ServicesDep, SignedInDep, TransportDep
from cometchat_auth.api.errors import responses
from cometchat_auth.api.schemas import DeviceOut
from cometchat_auth.audit import Event, record
from cometchat_auth.errors import SessionNotFound
from cometchat_auth.services import Services
from cometchat_auth.sessions import devices

router = APIRouter(prefix="/auth/sessions", tags=["sessions"])


def _idle(services: Services) -> timedelta:
    return timedelta(seconds=services.settings.session_idle_timeout)


@router.get(
    "",
    response_model=list[DeviceOut],
    responses=responses("UNAUTHENTICATED"),
    summary="The account's live sessions (devices), the most recently used first",
)
async def list_sessions(me: SignedInDep, services: ServicesDep, db: DbDep) -> list[DeviceOut]:
    rows = await devices.live_sessions(db, me.user.id, idle_timeout=_idle(services))
    return [
        DeviceOut(
            id=row.id,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            device=devices.device_label(row.user_agent),
            user_agent=row.user_agent,
            ip=row.ip,
            current=row.id == me.session.id,
        )
        for row in rows
    ]


@router.delete(
    "/{session_id}",
    status_code=204,
    responses=responses("UNAUTHENTICATED", "SESSION_NOT_FOUND"),
    summary="Sign one device out: its session ends and its CometChat token is deleted",
)
async def end_session(
    me: SignedInDep,
    services: ServicesDep,
    transport: TransportDep,
    db: DbDep,
    session_id: str = Path(max_length=32),
) -> Response:
    session = await devices.live_session(db, me.user.id, session_id, idle_timeout=_idle(services))
    if session is None:
        raise SessionNotFound
    await services.sessions.end(db, session, "revoked")
    record(
        db, Event.SESSION_REVOKED, user_id=me.user.id, email=me.user.email_key, session=session.id
    )
    await commit_and_settle(db, services, me.user.id)
    # Ending this very session is a sign-out: its cookies go too.
    return (
        signed_out_response(transport) if session.id == me.session.id else Response(status_code=204)
    )
