"""Which app a REST call is for, and whether its ``apikey`` may do what it asks."""

from __future__ import annotations

import secrets

from starlette.requests import Request

from .errors import ApiError
from .runtime import emulator_of
from .state import AppState


def same_secret(given: str, expected: str) -> bool:
    """Compare keys in constant time, so timing tells nothing about a key."""
    return secrets.compare_digest(given.encode(), expected.encode())


def authorize(request: Request, *, auth_key_allowed: bool = False) -> AppState:
    """The app's state when the key fits: the REST API key always, the auth key only when allowed.

    Messages never echo the key: it is a secret even when it is wrong.
    """
    emulator = emulator_of(request)
    keys, state = emulator.app_for(request)
    given = request.headers.get("apikey", "")
    if not given:
        raise ApiError(401, "AUTH_ERR_EMPTY_APIKEY", "The API key is empty in the headers.")
    if same_secret(given, keys.rest_api_key):
        return state
    if same_secret(given, keys.auth_key):
        if auth_key_allowed:
            return state
        raise ApiError(
            403,
            "AUTH_ERR_NO_ACCESS",
            "The key cannot be used to perform this operation. Please use API key with a "
            "correct scope to perform the operation.",
            "The key does not have enough clearance: an authOnly key can only create users "
            "and auth tokens.",
        )
    raise ApiError(401, "AUTH_ERR_APIKEY_NOT_FOUND", "The API key in the headers is incorrect.")


def authorize_any_rest_key(request: Request) -> None:
    """Admin routes for the whole emulator (faults) take any app's REST API key."""
    given = request.headers.get("apikey", "")
    if not given:
        raise ApiError(401, "AUTH_ERR_EMPTY_APIKEY", "The API key is empty in the headers.")
    apps = emulator_of(request).apps.values()
    if not any(same_secret(given, keys.rest_api_key) for keys in apps):
        raise ApiError(401, "AUTH_ERR_APIKEY_NOT_FOUND", "The API key in the headers is incorrect.")
