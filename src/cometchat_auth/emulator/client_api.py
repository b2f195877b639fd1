"""The client API the JS SDK calls once it holds an auth token (``authToken`` header)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiError
from .runtime import Emulator, emulator_of
from .state import TokenRecord, UserRecord
from .validation import json_body


def signed_in(request: Request) -> tuple[UserRecord, TokenRecord]:
    emulator = emulator_of(request)
    _keys, state = emulator.app_for(request)
    given = request.headers.get("authtoken", "")
    if not given:
        raise ApiError(401, "AUTH_ERR_EMPTY_AUTH_TOKEN", "The auth token is empty in the headers.")
    with emulator.store.lock:
        found = state.find_token(given)
    if found is None:
        # The SDK logs the user out locally on exactly this code.
        raise ApiError(
            401,
            "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
            "The auth token does not exist. Please make sure you are logged in and have a valid "
            "auth token or try login again.",
        )
    return found


def settings(request: Request, emulator: Emulator) -> dict[str, Any]:
    """App settings that send the SDK back here: it calls ``https://{CLIENT_API_HOST}/{CHAT_API_VERSION}/…``."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    hostname = request.url.hostname or host
    values: dict[str, Any] = {
        "ADMIN_API_HOST": host,
        "CLIENT_API_HOST": host,
        "CHAT_API_VERSION": "v3.0",
        "REGION": emulator.config.region,
        "MODE": "DEFAULT",
        "ANALYTICS_PING_DISABLED": True,
        "ANALYTICS_HOST": host,
        "ANALYTICS_VERSION": "v1",
        # The demo never opens the websocket; these only have to be well-formed.
        "CHAT_HOST": hostname,
        "CHAT_WSS_PORT": 443,
        "CHAT_WS_PORT": 80,
        "EXTENSION_DOMAIN": hostname,
        "SECURED_MEDIA_HOST": host,
    }
    digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()
    values["settingsHash"] = digest
    values["settingsHashReceivedAt"] = int(time.time() * 1000)
    return values


def me_view(
    request: Request, user: UserRecord, token: TokenRecord, emulator: Emulator
) -> dict[str, Any]:
    issued = int(emulator.clock())
    claims = {"sub": user.uid, "iat": issued, "sessionId": secrets.token_hex(8)}
    return {
        **user.public(),
        "authToken": token.auth_token,
        "jwt": jwt.encode(claims, emulator.jwt_secret, algorithm="HS256"),
        "wsChannel": {
            "identity": f"{user.uid}",
            "secret": secrets.token_hex(16),
            "service": "chat",
        },
        "settings": settings(request, emulator),
    }


async def update_me(request: Request) -> Response:
    user, token = signed_in(request)
    body = await json_body(request)
    emulator = emulator_of(request)
    with emulator.store.lock:
        token.platform = body.get("platform", token.platform)
        token.device_id = body.get("deviceId", token.device_id)
        token.app_info = body.get("appInfo", token.app_info)
        token.session_active = True
    emulator.changed()
    return JSONResponse({"data": me_view(request, user, token, emulator)})


async def get_me(request: Request) -> Response:
    user, token = signed_in(request)
    return JSONResponse({"data": me_view(request, user, token, emulator_of(request))})


async def end_session(request: Request) -> Response:
    # Ends the device session only: the reference infers the token itself stays valid.
    _user, token = signed_in(request)
    emulator = emulator_of(request)
    with emulator.store.lock:
        token.session_active = False
    emulator.changed()
    return JSONResponse({"data": {"success": True, "message": "Logged out successfully."}})


async def get_settings(request: Request) -> Response:
    # Settings are not secret and the SDK may ask before it holds a token: the app is enough.
    emulator_of(request).app_for(request)
    return JSONResponse({"data": settings(request, emulator_of(request))})


async def user_sessions(request: Request) -> Response:
    signed_in(request)
    await json_body(request)
    return JSONResponse({"data": {"success": True}})


async def new_jwt(request: Request) -> Response:
    user, token = signed_in(request)
    view = me_view(request, user, token, emulator_of(request))
    return JSONResponse({"data": {"jwt": view["jwt"]}})


routes = [
    Route("/me", update_me, methods=["PUT"]),
    Route("/me", get_me, methods=["GET"]),
    Route("/me", end_session, methods=["DELETE"]),
    Route("/me/jwt", new_jwt, methods=["POST"]),
    Route("/settings", get_settings, methods=["GET"]),
    Route("/user_sessions", user_sessions, methods=["POST"]),
]
