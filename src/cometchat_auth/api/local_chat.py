"""Local mode without a certificate step: the page's SDK reaches the emulator through our origin.

The CometChat SDK hard-codes ``https://`` for every call, and a browser refuses the emulator's
self-signed certificate until a person clicks through a warning. Instead, in local mode the page
points the SDK at ``{its own host}/cometchat-emulator`` and rewrites the SDK's ``https://`` URLs
on that path to its own ``http://`` origin (``web/local-chat.js``; ``http://127.0.0.1`` and
``http://localhost`` are secure contexts). This middleware forwards those calls to the emulator's
plain HTTP port, outside our session, CORS and CSRF checks: they carry CometChat's own
``authToken``, not our session, and the emulator answers in CometChat's envelope.
"""

from __future__ import annotations

import logging

import httpx
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cometchat_auth.api.errors import COMETCHAT_UNAVAILABLE, PAYLOAD_TOO_LARGE

log = logging.getLogger(__name__)

#: Where the emulator's API is mounted on our origin; the page reads it from ``/config.json``.
PREFIX = "/cometchat-emulator"
#: What the SDK sends and the emulator reads, and what comes back; nothing else crosses.
REQUEST_HEADERS = ("appid", "authtoken", "resource", "sdk", "accept", "content-type")
ANSWER_HEADERS = ("content-type", "retry-after", "x-rate-limit", "x-rate-limit-remaining")
#: The SDK's bodies are small (device info, profile fields); the emulator's own cap is alike.
MAX_BODY = 64 * 1024


class EmulatorProxy:
    """Forward ``PREFIX/v*/...`` to the local emulator at ``upstream`` (its plain HTTP root)."""

    def __init__(self, app: ASGIApp, *, upstream: str, timeout: float = 10.0) -> None:
        self.app = app
        self.upstream = upstream.rstrip("/")
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(f"{PREFIX}/v"):
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        if body is None:
            await PAYLOAD_TOO_LARGE.response()(scope, receive, send)
            return
        headers = Headers(scope=scope)
        forwarded = {name: headers[name] for name in REQUEST_HEADERS if name in headers}
        # The emulator builds the hosts in its settings from these, so the SDK comes back here.
        forwarded["x-forwarded-host"] = headers.get("host", "")
        forwarded["x-forwarded-prefix"] = PREFIX
        path = scope["path"].removeprefix(PREFIX)
        query = scope["query_string"].decode("latin-1")
        url = f"{self.upstream}{path}?{query}" if query else f"{self.upstream}{path}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.request(
                    scope["method"],
                    url,
                    content=body,
                    headers=forwarded,
                )
        except httpx.HTTPError as exc:
            log.warning("the local CometChat emulator did not answer: %s", type(exc).__name__)
            await COMETCHAT_UNAVAILABLE.response()(scope, receive, send)
            return
        kept = {name: answer.headers[name] for name in ANSWER_HEADERS if name in answer.headers}
        await Response(answer.content, status_code=answer.status_code, headers=kept)(
            scope, receive, send
        )


async def _body(receive: Receive) -> bytes | None:
    """The whole request body, or None past ``MAX_BODY``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
