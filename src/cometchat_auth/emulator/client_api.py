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
from .pagination import page_response
from .runtime import Emulator, emulator_of
from .state import TokenRecord, UserRecord
from .validation import json_body, query_flag, query_list, user_query


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


#: [SDK] 4.2.0 re-logs a cached user in at every ``init`` unless the cached settings carry an
#: ``APP_VERSION`` that is 3 or at least its own major version (4): a v3 app says 3 [GUESS: the
#: value real CometChat sends; the SDK only compares it].
APP_VERSION = 3


def public_base(request: Request) -> str:
    """Where the browser reaches us: ``host[/prefix]``, before the version segment.

    Behind the auth server's same-origin proxy (local mode) the browser's host and the proxy's
    path prefix come in ``X-Forwarded-Host`` / ``X-Forwarded-Prefix``; this emulator serves
    loopback only, so it may believe them.
    """
    host = (
        request.headers.get("x-forwarded-host")
        or request.headers.get("host")
        or f"{request.url.hostname}:{request.url.port}"
    )
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return f"{host}{prefix}"


def settings(request: Request, emulator: Emulator) -> dict[str, Any]:
    """App settings that send the SDK back here: it calls ``https://{CLIENT_API_HOST}/{CHAT_API_VERSION}/…``."""
    base = public_base(request)
    hostname = base.split("/", 1)[0].rsplit(":", 1)[0]
    values: dict[str, Any] = {
        "ADMIN_API_HOST": base,
        "CLIENT_API_HOST": base,
        "CHAT_API_VERSION": "v3.0",
        "APP_VERSION": APP_VERSION,
        "REGION": emulator.config.region,
        "MODE": "DEFAULT",
        "ANALYTICS_PING_DISABLED": True,
        "ANALYTICS_HOST": base,
        "ANALYTICS_VERSION": "v1",
        # The demo never opens the websocket; these only have to be well-formed.
        "CHAT_HOST": hostname,
        "CHAT_WSS_PORT": 443,
        "CHAT_WS_PORT": 80,
        "EXTENSION_DOMAIN": hostname,
        "SECURED_MEDIA_HOST": base,
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


def is_client_call(request: Request) -> bool:
    """A call with an ``authToken`` and no ``apikey``: the SDK's client API, not the REST API.

    Real CometChat tells them apart by host (``apiclient-`` or ``api-``); the emulator serves both
    on one host, so it goes by the credential.
    """
    return "apikey" not in request.headers and "authtoken" in request.headers


def user_view(user: UserRecord, me: UserRecord, *, with_tags: bool) -> dict[str, Any]:
    """A user as the SDK gets it, with the one-to-one conversation id ([SPEC] list example)."""
    first, second = sorted((user.uid, me.uid))
    return {**user.public(with_tags=with_tags), "conversationId": f"{first}_user_{second}"}


async def list_users(request: Request) -> Response:
    """The SDK's ``UsersRequest.fetchNext``: ``per_page``, ``page`` and its filters."""
    me, _token = signed_in(request)
    _keys, state = emulator_of(request).app_for(request)
    query = user_query(request)
    with_tags = query_flag(request, "withTags")
    uids = query_list(request, "uids")
    with emulator_of(request).store.lock:
        users = state.list_users(query)
        if query_flag(request, "friendsOnly"):
            users = []  # the emulator keeps no friends
        shown = [
            user_view(user, me, with_tags=with_tags)
            for user in users
            if not uids or user.uid in uids
        ]
    return page_response(request, shown, cursor=True)


async def get_user(request: Request) -> Response:
    """The SDK's ``CometChat.getUser(uid)``."""
    me, _token = signed_in(request)
    _keys, state = emulator_of(request).app_for(request)
    with emulator_of(request).store.lock:
        shown = user_view(state.user(request.path_params["uid"]), me, with_tags=True)
    return JSONResponse({"data": shown})


routes = [
    Route("/me", update_me, methods=["PUT"]),
    Route("/me", get_me, methods=["GET"]),
    Route("/me", end_session, methods=["DELETE"]),
    Route("/me/jwt", new_jwt, methods=["POST"]),
    Route("/settings", get_settings, methods=["GET"]),
    Route("/user_sessions", user_sessions, methods=["POST"]),
]
