"""The emulator's own routes under ``/_emulator``: faults at run time, a look inside, a reset."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .access import authorize_any_rest_key, same_secret
from .config import Faults
from .errors import ApiError, bad_request
from .faults import FAULT_FIELDS, faults_json
from .runtime import emulator_of
from .state import AppState
from .validation import json_body


def app_state(request: Request) -> AppState:
    """The app named in the path, when ``apikey`` is that app's REST API key."""
    emulator = emulator_of(request)
    keys = emulator.apps.get(request.path_params["app_id"])
    if keys is None:
        raise ApiError(404, "ERR_APP_NOT_FOUND", "The app does not exist in this emulator.")
    if not same_secret(request.headers.get("apikey", ""), keys.rest_api_key):
        raise ApiError(401, "AUTH_ERR_APIKEY_NOT_FOUND", "The API key in the headers is incorrect.")
    return emulator.store.apps[keys.app_id]


async def get_faults(request: Request) -> Response:
    authorize_any_rest_key(request)
    return JSONResponse({"data": faults_json(emulator_of(request).faults)})


async def put_faults(request: Request) -> Response:
    authorize_any_rest_key(request)
    body = await json_body(request)
    emulator = emulator_of(request)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, name in FAULT_FIELDS.items():
        value = body.get(key, getattr(emulator.faults, name))
        if name == "seed":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors[key] = [f"The {key} must be an integer or null."]
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            errors[key] = [f"The {key} must be a number of at least 0."]
        elif name != "latency" and value > 1:
            errors[key] = [f"The {key} must be between 0 and 1."]
        values[name] = value
    unknown = set(body) - set(FAULT_FIELDS)
    errors.update({key: [f"The {key} field is not a fault."] for key in unknown})
    if errors:
        raise bad_request(errors)
    emulator.set_faults(Faults(**values))
    return JSONResponse({"data": faults_json(emulator.faults)})


async def list_app_users(request: Request) -> Response:
    state = app_state(request)
    with emulator_of(request).store.lock:
        users = [
            {
                **user.public(),
                "deactivatedAt": user.deactivated_at,
                "authTokens": [
                    {
                        "authToken": token.auth_token,
                        "createdAt": token.created_at,
                        "platform": token.platform,
                        "deviceId": token.device_id,
                        "appInfo": token.app_info,
                        "sessionActive": token.session_active,
                    }
                    for token in user.tokens
                ],
            }
            for user in state.users.values()
        ]
    return JSONResponse({"data": users})


async def reset_app(request: Request) -> Response:
    app_state(request)
    emulator = emulator_of(request)
    emulator.store.reset(request.path_params["app_id"])
    emulator.changed()
    return JSONResponse({"data": {"success": True}})


routes = [
    Route("/_emulator/faults", get_faults, methods=["GET"]),
    Route("/_emulator/faults", put_faults, methods=["PUT"]),
    Route("/_emulator/apps/{app_id}/users", list_app_users, methods=["GET"]),
    Route("/_emulator/apps/{app_id}", reset_app, methods=["DELETE"]),
]
