"""``/healthz``: the process answers; cheap, so probes never queue behind logins."""

from __future__ import annotations

from fastapi import APIRouter

from cometchat_auth.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    return HealthOut()
