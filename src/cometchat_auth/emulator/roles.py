"""Roles: each user has one and it must exist; every app starts with ``default``.

``POST /roles`` and ``GET /roles`` (and ``/roles/{role}``) as the reference shows them, so a test
can give users other roles.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .access import authorize
from .errors import ApiError, bad_request, role_not_found
from .pagination import page_response
from .runtime import emulator_of
from .state import RoleRecord
from .validation import UID_PATTERN, check_string, json_body

#: [DOC constraints] at most 25 roles per app; role ids follow the uid rules.
MAX_ROLES = 25


def role_body(body: dict[str, Any]) -> dict[str, Any]:
    """A checked ``POST /roles`` body, the role id lower-cased; raises ERR_BAD_REQUEST."""
    errors: dict[str, list[str]] = {}
    for key in ("role", "name"):
        if body.get(key) in (None, ""):
            errors[key] = [f"The {key} field is required."]
    check_string(errors, body, "role", 100)
    check_string(errors, body, "name", 100)
    check_string(errors, body, "description", 255)
    role = body.get("role")
    if "role" not in errors and isinstance(role, str) and not UID_PATTERN.fullmatch(role.lower()):
        errors["role"] = ["The role may only contain letters, numbers, dashes and underscores."]
    for key in ("metadata", "settings"):
        if key in body and not isinstance(body[key], dict):
            errors[key] = [f"The {key} must be an object."]
    if errors:
        raise bad_request(errors)
    return {**body, "role": str(role).lower()}


async def create_role(request: Request) -> Response:
    state = authorize(request)
    body = role_body(await json_body(request))
    emulator = emulator_of(request)
    with emulator.store.lock:
        if body["role"] in state.roles:
            # [GUESS] code and status: the error guide lists no duplicate-role code.
            raise ApiError(
                409, "ERR_ROLE_ALREADY_EXISTS", f"The role {body['role']} already exists."
            )
        if len(state.roles) >= MAX_ROLES:
            raise bad_request({"role": [f"An app has at most {MAX_ROLES} roles."]})
        role = RoleRecord(
            role=body["role"],
            name=body["name"],
            created_at=state.now(),
            description=body.get("description"),
            metadata=body.get("metadata"),
            settings=body.get("settings"),
        )
        state.roles[role.role] = role
        shown = role.public()
    emulator.changed()
    return JSONResponse({"data": shown})


async def list_roles(request: Request) -> Response:
    state = authorize(request)
    with emulator_of(request).store.lock:
        shown = [role.public() for role in state.roles.values()]
    return page_response(request, shown)


async def get_role(request: Request) -> Response:
    state = authorize(request)
    name = request.path_params["role"].lower()
    with emulator_of(request).store.lock:
        if name not in state.roles:
            raise role_not_found(name)
        shown = state.roles[name].public()
    return JSONResponse({"data": shown})


routes = [
    Route("/roles", create_role, methods=["POST"]),
    Route("/roles", list_roles, methods=["GET"]),
    Route("/roles/{role}", get_role, methods=["GET"]),
]
