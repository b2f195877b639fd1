"""Request bodies checked the way CometChat's API does: every field's problems at once."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from .errors import bad_request
from .state import UserQuery

UID_PATTERN = re.compile(r"[a-z0-9_-]{1,100}")
UNSETTABLE = ("avatar", "link", "metadata")
#: [DOC] The users reference says metadata holds "up to 1.6K characters (JSON stringified)", the
#: constraints page 5 KB: the emulator enforces the smaller ([GUESS] which one CometChat applies).
METADATA_LIMIT = 1600


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request({"body": ["The body must be valid JSON."]}) from None
    if not isinstance(body, dict):
        raise bad_request({"body": ["The body must be a JSON object."]})
    return body


def check_string(errors: dict[str, list[str]], body: dict[str, Any], key: str, limit: int) -> None:
    value = body.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        errors.setdefault(key, []).append(f"The {key} must be a string.")
    elif len(value) > limit:
        errors.setdefault(key, []).append(f"The {key} may not be greater than {limit} characters.")


def user_body(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """A checked copy of a create or update body, uid lower-cased; raises ERR_BAD_REQUEST."""
    errors: dict[str, list[str]] = {}
    clean = {key: value for key, value in body.items() if value is not None}
    required = ("uid", "name") if creating else ()
    for key in required:
        if clean.get(key) in (None, ""):
            errors[key] = [f"The {key} field is required."]
    uid = clean.get("uid")
    if creating and "uid" not in errors:
        if not isinstance(uid, str):
            errors["uid"] = ["The uid must be a string."]
        elif len(uid) > 100:
            errors["uid"] = ["The uid may not be greater than 100 characters."]
        elif not UID_PATTERN.fullmatch(uid.lower()):
            errors["uid"] = ["The uid may only contain letters, numbers, dashes and underscores."]
        else:
            clean["uid"] = uid.lower()
    if not creating and "name" in body and clean.get("name") in (None, ""):
        errors["name"] = ["The name field must have a value."]
    check_string(errors, clean, "name", 100)
    check_string(errors, clean, "avatar", 3000)
    check_string(errors, clean, "link", 3000)
    check_string(errors, clean, "role", 100)
    check_string(errors, clean, "statusMessage", 3000)
    metadata = clean.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        errors["metadata"] = ["The metadata must be an object."]
    elif metadata is not None and len(json.dumps(metadata, separators=(",", ":"))) > METADATA_LIMIT:
        errors["metadata"] = [f"The metadata may not be greater than {METADATA_LIMIT} characters."]
    tags = clean.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            errors["tags"] = ["The tags must be an array of strings."]
        elif len(tags) > 25:
            errors["tags"] = ["The tags may not have more than 25 items."]
        elif any(len(tag) > 100 for tag in tags):
            errors["tags"] = ["Each tag may not be greater than 100 characters."]
    if "withAuthToken" in clean and not isinstance(clean["withAuthToken"], bool):
        errors["withAuthToken"] = ["The withAuthToken field must be true or false."]
    unset = clean.get("unset")
    if unset is not None and (
        creating or not isinstance(unset, list) or any(item not in UNSETTABLE for item in unset)
    ):
        errors["unset"] = ["The unset must be an array of avatar, link or metadata."]
    if errors:
        raise bad_request(errors)
    return clean


def token_body(body: dict[str, Any]) -> dict[str, Any]:
    """A checked body of ``PUT /users/{uid}/auth_tokens/{token}``: where the token is used."""
    errors: dict[str, list[str]] = {}
    check_string(errors, body, "platform", 100)
    check_string(errors, body, "userAgent", 3000)
    if "appInfo" in body and not isinstance(body["appInfo"], dict):
        errors["appInfo"] = ["The appInfo must be an object."]
    if not any(key in body for key in ("platform", "userAgent", "appInfo")):
        errors["body"] = ["Give at least one of platform, userAgent and appInfo."]
    if errors:
        raise bad_request(errors)
    return body


def uid_list(body: dict[str, Any], key: str) -> list[str]:
    """A non-empty array of uids (bulk deactivate and reactivate), lower-cased."""
    uids = body.get(key)
    if not isinstance(uids, list) or not uids or not all(isinstance(u, str) for u in uids):
        raise bad_request({key: [f"The {key} must be a non-empty array of uids."]})
    return [uid.lower() for uid in uids]


def flag(body: dict[str, Any], key: str) -> bool:
    """A boolean body field that defaults to false; anything but a boolean is ERR_BAD_REQUEST."""
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise bad_request({key: [f"The {key} field must be true or false."]})
    return value


def query_flag(request: Request, key: str) -> bool:
    return request.query_params.get(key, "").lower() in ("1", "true", "yes")


def query_list(request: Request, key: str) -> frozenset[str]:
    """A list parameter, repeated (``a=1&a=2``) or comma-separated (``a=1,2``, as the SDK sends)."""
    return frozenset(
        item.strip()
        for raw in request.query_params.getlist(key)
        for item in raw.split(",")
        if item.strip()
    )


#: The JS SDK's UsersRequest says ``online`` where the REST API says ``available``.
STATUSES = {"available": "available", "online": "available", "offline": "offline"}


def user_query(request: Request) -> UserQuery:
    """The filters of a users list: ``searchKey``, ``status``, ``role``/``roles``, ``tags``, ..."""
    statuses = query_list(request, "status")
    unknown = statuses - STATUSES.keys()
    if unknown:
        raise bad_request({"status": ["The status must be available or offline."]})
    return UserQuery(
        search=request.query_params.get("searchKey"),
        statuses=frozenset(STATUSES[status] for status in statuses),
        roles=query_list(request, "role") | query_list(request, "roles"),
        tags=query_list(request, "tags"),
        with_deactivated=query_flag(request, "withDeactivated"),
        only_deactivated=query_flag(request, "onlyDeactivated"),
    )


def query_int(request: Request, key: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request({key: [f"The {key} must be an integer."]}) from None
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" between 1 and {maximum}" if maximum else " at least 1"
        raise bad_request({key: [f"The {key} must be{limit}."]})
    return value
