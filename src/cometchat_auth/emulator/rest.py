"""The REST API's users and auth tokens routes (server side, ``apikey`` header)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import client_api
from .access import authorize
from .pagination import page_response
from .runtime import emulator_of
from .validation import (
    flag,
    json_body,
    query_flag,
    token_body,
    uid_list,
    user_body,
    user_query,
)


def success(message: str) -> JSONResponse:
    return JSONResponse({"data": {"success": True, "message": message}})


async def create_user(request: Request) -> Response:
    state = authorize(request, auth_key_allowed=True)
    body = user_body(await json_body(request), creating=True)
    emulator = emulator_of(request)
    with emulator.store.lock:
        user = state.create_user(body)
        shown = user.public()
        if body.get("withAuthToken"):
            shown["authToken"] = state.create_token(user.uid, {}, force=True)[1].auth_token
    emulator.changed()
    return JSONResponse({"data": shown})


async def list_users(request: Request) -> Response:
    if client_api.is_client_call(request):
        return await client_api.list_users(request)
    state = authorize(request)
    query = user_query(request)
    with_tags = query_flag(request, "withTags")
    on_behalf_of = request.headers.get("onbehalfof")
    with emulator_of(request).store.lock:
        users = state.list_users(query)
        if on_behalf_of:
            # As that user sees them: with the one-to-one conversation ids ([SPEC] example).
            me = state.user(on_behalf_of)
            shown = [client_api.user_view(user, me, with_tags=with_tags) for user in users]
        else:
            shown = [user.public(with_tags=with_tags) for user in users]
    return page_response(request, shown, cursor=True)


async def get_user(request: Request) -> Response:
    if client_api.is_client_call(request):
        return await client_api.get_user(request)
    state = authorize(request)
    with emulator_of(request).store.lock:
        shown = state.user(request.path_params["uid"]).public()
    return JSONResponse({"data": shown})


async def update_user(request: Request) -> Response:
    state = authorize(request)
    body = user_body(await json_body(request), creating=False)
    emulator = emulator_of(request)
    with emulator.store.lock:
        shown = state.update_user(request.path_params["uid"], body).public()
    emulator.changed()
    return JSONResponse({"data": shown})


async def delete_user(request: Request) -> Response:
    state = authorize(request)
    permanent = flag(await json_body(request), "permanent")
    uid = request.path_params["uid"]
    emulator = emulator_of(request)
    with emulator.store.lock:
        state.delete_user(uid, permanent=permanent)
    emulator.changed()
    return success(f"User with {uid} has been deleted successfully.")


async def create_token(request: Request) -> Response:
    state = authorize(request, auth_key_allowed=True)
    body = await json_body(request)
    force = flag(body, "force")
    emulator = emulator_of(request)
    with emulator.store.lock:
        user, token = state.create_token(request.path_params["uid"], body, force=force)
        shown = user.token_view(token)
    emulator.changed()
    return JSONResponse({"data": shown})


async def list_tokens(request: Request) -> Response:
    state = authorize(request)
    with emulator_of(request).store.lock:
        user = state.user(request.path_params["uid"])
        shown = [user.token_view(token) for token in user.tokens]
    return page_response(request, shown)


async def get_token(request: Request) -> Response:
    state = authorize(request)
    with emulator_of(request).store.lock:
        user, token = state.token(request.path_params["uid"], request.path_params["token"])
        shown = user.token_view(token)
    return JSONResponse({"data": shown})


async def update_token(request: Request) -> Response:
    state = authorize(request)
    body = token_body(await json_body(request))
    emulator = emulator_of(request)
    with emulator.store.lock:
        user, token = state.update_token(
            request.path_params["uid"], request.path_params["token"], body
        )
        # [SPEC update-authtoken example] answers the token alone; get and list show the rest.
        shown = user.token_view(token, device=False)
    emulator.changed()
    return JSONResponse({"data": shown})


Endpoint = Callable[[Request], Awaitable[Response]]


def set_active(active: bool, field: str, answer_key: str) -> Endpoint:
    """Bulk deactivate (``DELETE /users``) or reactivate (``PUT /users``)."""

    async def endpoint(request: Request) -> Response:
        state = authorize(request)
        uids = uid_list(await json_body(request), field)
        emulator = emulator_of(request)
        with emulator.store.lock:
            changed = state.set_active(uids, active=active)
        emulator.changed()
        return JSONResponse({"data": {answer_key: changed}})

    return endpoint


deactivate_users = set_active(False, "uidsToDeactivate", "deactivatedUids")
# The reference's example answers reactivation under this key: a copy slip perhaps, but the example.
reactivate_users = set_active(True, "uidsToActivate", "nonDeactivatedUids")


async def delete_token(request: Request) -> Response:
    state = authorize(request)
    emulator = emulator_of(request)
    with emulator.store.lock:
        state.delete_token(request.path_params["uid"], request.path_params["token"])
    emulator.changed()
    return success("Auth token has been deleted successfully.")


async def flush_tokens(request: Request) -> Response:
    state = authorize(request)
    uid = request.path_params["uid"]
    emulator = emulator_of(request)
    with emulator.store.lock:
        state.flush_tokens(uid)
    emulator.changed()
    return success(f"Cleared Auth Tokens successfully for uid {uid}.")


routes = [
    Route("/users", create_user, methods=["POST"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users", deactivate_users, methods=["DELETE"]),
    Route("/users", reactivate_users, methods=["PUT"]),
    Route("/users/{uid}", get_user, methods=["GET"]),
    Route("/users/{uid}", update_user, methods=["PUT"]),
    Route("/users/{uid}", delete_user, methods=["DELETE"]),
    Route("/users/{uid}/auth_tokens", create_token, methods=["POST"]),
    Route("/users/{uid}/auth_tokens", list_tokens, methods=["GET"]),
    Route("/users/{uid}/auth_tokens", flush_tokens, methods=["DELETE"]),
    Route("/users/{uid}/auth_tokens/{token}", get_token, methods=["GET"]),
    Route("/users/{uid}/auth_tokens/{token}", update_token, methods=["PUT"]),
    Route("/users/{uid}/auth_tokens/{token}", delete_token, methods=["DELETE"]),
]
