"""``/metrics``: Prometheus's text format (METRICS_ENABLED; on by default in local mode only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cometchat_auth.api.deps import ServicesDep
from cometchat_auth.ops.metrics import CONTENT_TYPE
from cometchat_auth.ops.scrape import scrape

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
    summary="Prometheus metrics: requests, sign-ins, CometChat calls, outbox, limits, mail",
)
async def metrics(services: ServicesDep) -> Response:
    return Response(await scrape(services.outbox), media_type=CONTENT_TYPE)
