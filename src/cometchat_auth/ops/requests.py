"""Each request's id, access log line and metrics, in one pure ASGI middleware (the outermost)."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cometchat_auth.ops import context, metrics

log = logging.getLogger("cometchat_auth.access")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestLog:
    """Give the request an id (the client's ``X-Request-ID`` if usable), echo it in the answer,
    and write one access line and the request metrics when the answer is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = context.RequestContext(
            context.request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER)), scope
        )
        token = context.begin(request)
        started = time.perf_counter()
        status = 500  # unless an answer starts: an error left for the server to answer

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"]
            route = request.route or context.UNMATCHED
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(method, route).observe(seconds)
            log.info(
                "%s %s %d %.1f ms",
                method,
                route,
                status,
                seconds * 1000,
                extra={"method": method, "status": status, "duration_ms": round(seconds * 1000, 1)},
            )
            context.end(token)
