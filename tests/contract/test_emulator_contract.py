"""The emulator answers, and the client reads, exactly what CometChat's published examples show.

Each fixture in ``fixtures/`` is a published example with its source. The emulator is driven to
the example's situation over real HTTP and its answer compared field by field, on every item,
with formats read off the example (``conformance.py``); the client parses the examples themselves.
Both held to the same published text, they cannot agree on something CometChat does not send.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cometchat_auth.cometchat import (
    AuthToken,
    AuthTokenNotFound,
    BadRequest,
    CometChatError,
    NoAccess,
    Pagination,
    RateLimited,
    RoleNotFound,
    Unauthorized,
    User,
    UserAlreadyExists,
    UserNotFound,
)
from cometchat_auth.cometchat.answers import error_from, parse
from cometchat_auth.emulator import EmulatorConfig
from tests.contract.conformance import conforms, fixture
from tests.support.emulator_view import set_faults

AUTH_KEY = {"apikey": "test-auth-key-0123456789"}
#: The create-user example's input; the uid in capitals, which CometChat lower-cases.
BARRY = {
    "uid": "CometChat-UID-6",
    "name": "Barry Allen",
    "link": "https://cometchat.com",
    "avatar": "https://assets.cometchat.io/sampleapp/v2/groups/cometchat-guid-1.webp",
    "metadata": {"rawMetadata": "{'gender':'Male'}"},
    "role": "manager",
    "tags": ["Engineer", "manager"],
}


def example(name: str) -> Any:
    return fixture(name)["example"]


def held_to(answer: httpx.Response, name: str) -> dict[str, Any]:
    """Assert ``answer`` has the fixture's status and conforms to its example; its JSON."""
    published = fixture(name)
    assert answer.status_code == published["status"], answer.text
    body: dict[str, Any] = answer.json()
    conforms(body, published["example"], where=name)
    return body


@pytest.fixture
def rest(emulator_rest: httpx.Client) -> httpx.Client:
    """The REST API, with the examples' "manager" role made (roles must exist)."""
    made = emulator_rest.post("/roles", json={"role": "manager", "name": "Manager"})
    assert made.status_code == 200
    return emulator_rest


@pytest.fixture
def barry(rest: httpx.Client) -> dict[str, Any]:
    """Barry Allen created as in the create-user example, with his token."""
    answer = rest.post("/users", json={**BARRY, "withAuthToken": True})
    data: dict[str, Any] = held_to(answer, "create-user")["data"]
    assert data["uid"] == "cometchat-uid-6"
    return data


def test_create_user(barry: dict[str, Any]) -> None:
    assert barry["tags"] == BARRY["tags"]


def test_get_user(rest: httpx.Client) -> None:
    fields = ("uid", "name", "link", "avatar", "role")
    rest.post("/users", json={key: BARRY[key] for key in fields})
    held_to(rest.get("/users/cometchat-uid-6"), "get-user")


def test_update_user(rest: httpx.Client) -> None:
    fields = ("uid", "name", "link", "avatar", "role")
    rest.post("/users", json={key: BARRY[key] for key in fields})
    body = {"metadata": {"email": "user@email.com", "contactNumber": "0123456789"}, "tags": ["x"]}
    held_to(rest.put("/users/cometchat-uid-6", json=body), "update-user")


def make_list_example_users(rest: httpx.Client) -> None:
    """The three users of the list-users example (updated once), then the one viewing them."""
    avatar = "https://assets.cometchat.io/sampleapp/v2/users/cometchat-uid-2.webp"
    george = {"name": "George Alan", "avatar": avatar}
    rest.post("/users", json={**BARRY, "tags": None})
    rest.post("/users", json={"uid": "cometchat-uid-2", **george})
    third = {"link": "https://data-us.cometchat.io/assets", "metadata": {"contactNumber": "0"}}
    rest.post("/users", json={"uid": "cometchat-uid-3", **george, **third})
    for uid, name in (
        ("cometchat-uid-6", "Barry Allen"),
        ("cometchat-uid-2", "George Alan"),
        ("cometchat-uid-3", "George Alan"),
    ):
        rest.put(f"/users/{uid}", json={"name": name})  # the example's users carry updatedAt
    rest.post("/users", json={"uid": "cometchat-uid-4", "name": "Viewer"})


def test_list_users_on_behalf_of_a_user(rest: httpx.Client) -> None:
    make_list_example_users(rest)
    answer = rest.get("/users", params={"perPage": 3}, headers={"onBehalfOf": "cometchat-uid-4"})
    body = held_to(answer, "list-users")
    assert [user["uid"] for user in body["data"]] == [
        "cometchat-uid-6",
        "cometchat-uid-2",
        "cometchat-uid-3",
    ]


def test_the_sdk_lists_users_as_the_example_shows(rest: httpx.Client, emulator_url: str) -> None:
    make_list_example_users(rest)
    token = rest.post("/users/cometchat-uid-4/auth_tokens", json={"force": True}).json()
    headers = {"authToken": token["data"]["authToken"]}
    params = {"per_page": 3, "page": 1}  # as UsersRequest.fetchNext sends them
    held_to(httpx.get(f"{emulator_url}/v3.0/users", params=params, headers=headers), "list-users")


def test_auth_tokens(rest: httpx.Client, barry: dict[str, Any]) -> None:
    path = "/users/cometchat-uid-6/auth_tokens"
    minted = held_to(rest.post(path, json={"force": True}), "create-authtoken")["data"]
    token = minted["authToken"]
    held_to(rest.get(path), "list-authtokens")
    held_to(rest.get(f"{path}/{token}"), "get-authtoken")
    device = {"platform": "WEB", "userAgent": "Firefox/120", "appInfo": {"version": "1.0"}}
    held_to(rest.put(f"{path}/{token}", json=device), "update-authtoken")
    held_to(rest.delete(f"{path}/{token}"), "delete-authtoken")
    held_to(rest.delete(path), "flush-authtokens")


def test_delete_deactivate_and_reactivate_users(rest: httpx.Client) -> None:
    for uid in ("cometchat-uid-2", "cometchat-uid-3", "cometchat-uid-6"):
        rest.post("/users", json={"uid": uid, "name": uid})
    uids = ["cometchat-uid-2", "cometchat-uid-3"]
    gone = rest.request("DELETE", "/users", json={"uidsToDeactivate": uids})
    assert held_to(gone, "deactivate-users")["data"]["deactivatedUids"] == uids
    back = held_to(rest.put("/users", json={"uidsToActivate": uids}), "reactivate-users")
    assert back["data"]["nonDeactivatedUids"] == uids
    held_to(rest.delete("/users/cometchat-uid-6"), "delete-user")


def test_the_published_error_bodies(emulator_url: str, rest: httpx.Client) -> None:
    held_to(rest.get("/users/123123"), "error-uid-not-found")
    held_to(httpx.get(f"{emulator_url}/v3/users", headers=AUTH_KEY), "error-no-access")
    held_to(rest.post("/users", json={}), "error-bad-request")


@pytest.fixture
def provoke(
    emulator_url: str, rest: httpx.Client, barry: dict[str, Any]
) -> dict[str, Callable[[], httpx.Response]]:
    """A request that meets each code of ``error-codes.json`` in the emulator."""
    v3 = f"{emulator_url}/v3"

    def rate_limited() -> httpx.Response:
        set_faults(emulator_url, rateLimitRate=1.0)
        try:
            return rest.get("/users")
        finally:
            set_faults(emulator_url, rateLimitRate=0.0)

    return {
        "ERR_UID_NOT_FOUND": lambda: rest.get("/users/nobody"),
        "ERR_AUTH_TOKEN_NOT_FOUND": lambda: rest.get(
            "/users/cometchat-uid-6/auth_tokens/cometchat-uid-6_0"
        ),
        "ERR_ROLE_NOT_FOUND": lambda: rest.post(
            "/users", json={"uid": "u", "name": "U", "role": "y"}
        ),
        "AUTH_ERR_EMPTY_APIKEY": lambda: httpx.get(f"{v3}/users"),
        "AUTH_ERR_APIKEY_NOT_FOUND": lambda: httpx.get(f"{v3}/users", headers={"apikey": "no"}),
        "AUTH_ERR_NO_ACCESS": lambda: httpx.get(f"{v3}/users", headers=AUTH_KEY),
        "AUTH_ERR_EMPTY_AUTH_TOKEN": lambda: httpx.get(f"{emulator_url}/v3.0/me"),
        "AUTH_ERR_AUTH_TOKEN_NOT_FOUND": lambda: httpx.get(
            f"{emulator_url}/v3.0/me", headers={"authToken": "cometchat-uid-6_0"}
        ),
        "ERR_UID_ALREADY_EXISTS": lambda: rest.post("/users", json=BARRY),
        "ERR_TOO_MANY_REQUESTS": rate_limited,
    }


#: What the client raises for each code it maps on.
CLIENT_ERRORS: dict[str, type[CometChatError]] = {
    "ERR_UID_NOT_FOUND": UserNotFound,
    "ERR_AUTH_TOKEN_NOT_FOUND": AuthTokenNotFound,
    "ERR_ROLE_NOT_FOUND": RoleNotFound,
    "AUTH_ERR_EMPTY_APIKEY": Unauthorized,
    "AUTH_ERR_APIKEY_NOT_FOUND": Unauthorized,
    "AUTH_ERR_NO_ACCESS": NoAccess,
    "AUTH_ERR_EMPTY_AUTH_TOKEN": Unauthorized,
    "AUTH_ERR_AUTH_TOKEN_NOT_FOUND": Unauthorized,
    "ERR_UID_ALREADY_EXISTS": UserAlreadyExists,
    "ERR_TOO_MANY_REQUESTS": RateLimited,
}


def test_every_code_the_client_maps_on_has_the_published_envelope(
    provoke: dict[str, Callable[[], httpx.Response]],
) -> None:
    codes = fixture("error-codes")["codes"]
    assert set(codes) == set(provoke) == set(CLIENT_ERRORS)
    envelope = example("error-uid-not-found")
    for code in codes:
        answer = provoke[code]()
        assert answer.status_code >= 400, code
        conforms(answer.json(), envelope, where=code)
        assert answer.json()["error"]["code"] == code
        error = error_from(answer)
        assert type(error) is CLIENT_ERRORS[code], code
        assert error.code == code


def test_the_client_reads_the_published_examples() -> None:
    created = parse(User, example("create-user")["data"])
    assert (created.uid, created.created_at, created.tags) == (
        "cometchat-uid-6",
        1638354015,
        ("Engineer", "manager"),
    )
    assert created.auth_token == "cometchat-uid-6_16383540156641d37a023c75d26f4c22a21ff126"
    updated = parse(User, example("update-user")["data"])
    assert (updated.updated_at, updated.metadata) == (
        1638354799,
        {"email": "user@email.com", "contactNumber": "0123456789"},
    )
    listed = [parse(User, item) for item in example("list-users")["data"]]
    assert [user.uid for user in listed] == [
        "cometchat-uid-6",
        "cometchat-uid-2",
        "cometchat-uid-3",
    ]
    pagination = parse(Pagination, example("list-users")["meta"]["pagination"])
    assert (pagination.per_page, pagination.total_pages) == (100, 1)
    for name in ("create-authtoken", "get-authtoken", "update-authtoken"):
        token = parse(AuthToken, example(name)["data"])
        assert (token.uid, token.created_at) == ("cometchat-uid-1", 1630306819)
    listed_tokens = [parse(AuthToken, item) for item in example("list-authtokens")["data"]]
    assert [token.uid for token in listed_tokens] == ["cometchat-uid-1"]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("error-uid-not-found", UserNotFound),
        ("error-no-access", NoAccess),
        ("error-bad-request", BadRequest),
    ],
)
def test_the_client_maps_the_published_errors(name: str, cls: type[CometChatError]) -> None:
    published = fixture(name)
    error = error_from(httpx.Response(published["status"], json=published["example"]))
    assert type(error) is cls
    assert error.code == published["example"]["error"]["code"]
    if cls is BadRequest:
        assert error.details == {
            "uid": ["The uid field is required."],
            "name": ["The name field is required."],
        }


def renamed(body: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["data"][new] = changed["data"].pop(old)
    return changed


def reformatted(body: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["data"][key] = value
    return changed


def test_a_changed_fixture_fails_the_comparison() -> None:
    # What the emulator answers today conforms to the published example ...
    published = example("create-user")
    conforms(copy.deepcopy(published), published)
    # ... and stops conforming once the example renames a field or changes a value's format.
    for changed in (
        renamed(published, "createdAt", "created_at"),
        renamed(published, "authToken", "token"),
        reformatted(published, "createdAt", 1638354015000),  # milliseconds
        reformatted(published, "createdAt", "2021-12-01T10:20:15Z"),
        reformatted(published, "uid", "CometChat-UID-6"),  # not lower-cased
        reformatted(published, "authToken", "cometchat-uid-6_6641d37a023c75d26f4c22a21ff126"),
        reformatted(published, "authToken", "cometchat-uid-6_1638354015" + "ab" * 20),
        reformatted(published, "tags", "Engineer,manager"),
    ):
        with pytest.raises(AssertionError):
            conforms(published, changed)


def test_an_item_with_a_field_no_example_has_fails() -> None:
    published = example("list-authtokens")
    extra = copy.deepcopy(published)
    extra["data"][0]["expiresAt"] = 1630306819
    with pytest.raises(AssertionError, match="no example has"):
        conforms(extra, published)


def test_the_emulator_config_holds_the_auth_key(emulator_config: EmulatorConfig) -> None:
    # AUTH_KEY above is the conftest app's authOnly key: the no-access cases depend on it.
    assert emulator_config.apps[0].auth_key == AUTH_KEY["apikey"]
