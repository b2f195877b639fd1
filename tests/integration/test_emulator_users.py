"""The emulator's users API over real HTTP: what a CometChat client relies on."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cometchat_auth.emulator import EmulatorConfig, create_app
from tests.support.servers import serve

AUTH_KEY = "test-auth-key-0123456789"


def create(client: httpx.Client, uid: str, **fields: object) -> httpx.Response:
    return client.post("/users", json={"uid": uid, "name": uid.title(), **fields})


def test_create_lowercases_uid_and_get_returns_the_user(emulator_rest: httpx.Client) -> None:
    answer = create(emulator_rest, "Ada_Lovelace-1", tags=["math"], metadata={"a": 1})
    assert answer.status_code == 200
    user = answer.json()["data"]
    assert user["uid"] == "ada_lovelace-1"
    assert user["role"] == "default"
    assert user["status"] == "offline"
    assert "authToken" not in user
    fetched = emulator_rest.get("/users/ada_lovelace-1").json()["data"]
    assert fetched == user


def test_create_with_auth_token_returns_a_working_token(emulator_rest: httpx.Client) -> None:
    user = create(emulator_rest, "bob", withAuthToken=True).json()["data"]
    token = user["authToken"]
    assert token.startswith("bob_")
    assert len(token.partition("_")[2]) == 40
    assert emulator_rest.get(f"/users/bob/auth_tokens/{token}").status_code == 200


def test_duplicate_uid_is_409(emulator_rest: httpx.Client) -> None:
    create(emulator_rest, "carol")
    again = create(emulator_rest, "CAROL")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ERR_UID_ALREADY_EXISTS"


def test_missing_fields_answer_the_reference_fixture(emulator_rest: httpx.Client) -> None:
    answer = emulator_rest.post("/users", json={})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "message": "Failed to validate the data sent with the request.",
            "devMessage": "Failed to validate the data sent with the request.",
            "source": "chat-api",
            "details": {
                "uid": ["The uid field is required."],
                "name": ["The name field is required."],
            },
            "code": "ERR_BAD_REQUEST",
        }
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"uid": "has space", "name": "x"}, "uid"),
        ({"uid": "dot.ted", "name": "x"}, "uid"),
        ({"uid": "a" * 101, "name": "x"}, "uid"),
        ({"uid": 5, "name": "x"}, "uid"),
        ({"uid": "ok", "name": "n" * 101}, "name"),
        ({"uid": "ok", "name": "x", "avatar": "a" * 3001}, "avatar"),
        ({"uid": "ok", "name": "x", "link": 3}, "link"),
        ({"uid": "ok", "name": "x", "tags": [str(i) for i in range(26)]}, "tags"),
        ({"uid": "ok", "name": "x", "tags": ["t" * 101]}, "tags"),
        ({"uid": "ok", "name": "x", "metadata": "text"}, "metadata"),
        ({"uid": "ok", "name": "x", "metadata": {"k": "v" * 1593}}, "metadata"),
        ({"uid": "ok", "name": "x", "withAuthToken": "yes"}, "withAuthToken"),
    ],
)
def test_invalid_fields_are_named_in_details(
    emulator_rest: httpx.Client, body: dict[str, object], field: str
) -> None:
    answer = emulator_rest.post("/users", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "ERR_BAD_REQUEST"
    assert list(error["details"]) == [field]


def test_limits_at_the_edge_are_accepted(emulator_rest: httpx.Client) -> None:
    body = {
        "uid": "a" * 100,
        "name": "n" * 100,
        "tags": ["t" * 100] * 25,
        "avatar": "a" * 3000,
        "metadata": {"k": "v" * 1592},  # 1600 characters of JSON: {"k":"vvv…"}
    }
    assert emulator_rest.post("/users", json=body).status_code == 200


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_body_is_400(emulator_rest: httpx.Client, raw: bytes) -> None:
    answer = emulator_rest.post("/users", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ERR_BAD_REQUEST"


def test_unknown_route_and_method_are_api_not_found(emulator_rest: httpx.Client) -> None:
    for answer in (emulator_rest.get("/groupies"), emulator_rest.patch("/users")):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "ERR_API_NOT_FOUND"


def test_other_api_versions_are_invalid(emulator_url: str, emulator_rest: httpx.Client) -> None:
    headers = emulator_rest.headers
    for path in ("/v4/users", "/v3.1/users", "/v2/users", "/v4"):
        answer = httpx.get(f"{emulator_url}{path}", headers=headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (
            400,
            "ERR_INVALID_API_VERSION",
        ), path
    for path in ("/users", "/version"):
        answer = httpx.get(f"{emulator_url}{path}", headers=headers)
        assert answer.json()["error"]["code"] == "ERR_API_NOT_FOUND", path


def test_a_role_must_exist(emulator_rest: httpx.Client) -> None:
    # Every app has "default"; others are made with POST /roles first.
    assert create(emulator_rest, "rui", role="default").status_code == 200
    missing = create(emulator_rest, "rob", role="manager")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ERR_ROLE_NOT_FOUND")
    assert emulator_rest.get("/users/rob").status_code == 404  # nothing half-made
    made = emulator_rest.post("/roles", json={"role": "Manager", "name": "Manager"})
    assert made.status_code == 200
    role = made.json()["data"]
    assert (role["role"], role["name"]) == ("manager", "Manager")
    assert isinstance(role["createdAt"], int)
    assert create(emulator_rest, "rob", role="manager").json()["data"]["role"] == "manager"
    moved = emulator_rest.put("/users/rui", json={"role": "nope"})
    assert moved.json()["error"]["code"] == "ERR_ROLE_NOT_FOUND"
    assert emulator_rest.get("/users/rui").json()["data"]["role"] == "default"
    listed = emulator_rest.get("/roles").json()
    assert [r["role"] for r in listed["data"]] == ["default", "manager"]
    assert listed["meta"]["pagination"]["total"] == 2
    assert emulator_rest.get("/roles/manager").json()["data"]["name"] == "Manager"
    assert emulator_rest.get("/roles/nope").json()["error"]["code"] == "ERR_ROLE_NOT_FOUND"
    again = emulator_rest.post("/roles", json={"role": "manager", "name": "Again"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ERR_ROLE_ALREADY_EXISTS")
    bad = emulator_rest.post("/roles", json={"role": "no spaces", "description": "d" * 256})
    assert set(bad.json()["error"]["details"]) == {"role", "name", "description"}


def test_roles_are_kept_across_restarts(tmp_path: Path, emulator_config: EmulatorConfig) -> None:
    config = EmulatorConfig(apps=emulator_config.apps, state_file=tmp_path / "state.json")
    headers = {"apikey": emulator_config.apps[0].rest_api_key}
    with serve(create_app(config)) as url:
        made = httpx.post(
            f"{url}/v3/roles", json={"role": "staff", "name": "Staff"}, headers=headers
        )
        assert made.status_code == 200
    with serve(create_app(config)) as url:
        user = {"uid": "sid", "name": "Sid", "role": "staff"}
        assert httpx.post(f"{url}/v3/users", json=user, headers=headers).status_code == 200


def test_missing_user_is_404_with_reference_text(emulator_rest: httpx.Client) -> None:
    answer = emulator_rest.get("/users/123123")
    assert answer.status_code == 404
    assert answer.json()["error"] == {
        "message": "The UID 123123 does not exist, please make sure you have created a user "
        "with UID 123123.",
        "devMessage": "The UID 123123 does not exist, so please make sure you have created a "
        "user with UID 123123.",
        "source": "chat-api",
        "code": "ERR_UID_NOT_FOUND",
    }


def test_update_sets_fields_unsets_others_and_stamps_updated_at(
    emulator_rest: httpx.Client,
) -> None:
    create(emulator_rest, "dora", avatar="https://a/x.png", link="https://l", metadata={"k": 1})
    answer = emulator_rest.put(
        "/users/dora", json={"name": "Dora M", "tags": ["x"], "unset": ["avatar", "metadata"]}
    )
    assert answer.status_code == 200
    user = answer.json()["data"]
    assert user["name"] == "Dora M"
    assert user["tags"] == ["x"]
    assert user["link"] == "https://l"
    assert "avatar" not in user
    assert "metadata" not in user
    assert isinstance(user["updatedAt"], int)
    assert emulator_rest.get("/users/dora").json()["data"] == user


def test_update_rejects_bad_unset_and_missing_user(emulator_rest: httpx.Client) -> None:
    create(emulator_rest, "ed")
    bad = emulator_rest.put("/users/ed", json={"unset": ["name"]})
    assert bad.status_code == 400
    assert list(bad.json()["error"]["details"]) == ["unset"]
    missing = emulator_rest.put("/users/nobody", json={"name": "x"})
    assert missing.json()["error"]["code"] == "ERR_UID_NOT_FOUND"


def test_soft_delete_hides_the_user_but_lists_it_on_request(emulator_rest: httpx.Client) -> None:
    create(emulator_rest, "fay")
    create(emulator_rest, "gus")
    answer = emulator_rest.delete("/users/fay")
    assert answer.json() == {
        "data": {"success": True, "message": "User with fay has been deleted successfully."}
    }
    assert emulator_rest.get("/users/fay").status_code == 404
    assert [u["uid"] for u in emulator_rest.get("/users").json()["data"]] == ["gus"]
    with_all = emulator_rest.get("/users", params={"withDeactivated": "true"}).json()["data"]
    assert [u["uid"] for u in with_all] == ["fay", "gus"]
    assert isinstance(with_all[0]["deactivatedAt"], int)
    only = emulator_rest.get("/users", params={"onlyDeactivated": "true"}).json()["data"]
    assert [u["uid"] for u in only] == ["fay"]
    # The uid stays taken while the user is deactivated.
    assert create(emulator_rest, "fay").status_code == 409


def test_permanent_delete_frees_the_uid_and_drops_tokens(emulator_rest: httpx.Client) -> None:
    token = create(emulator_rest, "hal", withAuthToken=True).json()["data"]["authToken"]
    emulator_rest.request("DELETE", "/users/hal", json={"permanent": True})
    listed = emulator_rest.get("/users", params={"withDeactivated": "true"}).json()["data"]
    assert listed == []
    create(emulator_rest, "hal")
    answer = emulator_rest.get(f"/users/hal/auth_tokens/{token}")
    assert answer.json()["error"]["code"] == "ERR_AUTH_TOKEN_NOT_FOUND"


def test_delete_rejects_non_boolean_permanent(emulator_rest: httpx.Client) -> None:
    create(emulator_rest, "ivy")
    answer = emulator_rest.request("DELETE", "/users/ivy", json={"permanent": "yes"})
    assert answer.status_code == 400
    assert emulator_rest.get("/users/ivy").status_code == 200


def test_list_pages_in_creation_order_and_searches(emulator_rest: httpx.Client) -> None:
    for uid in ("zed", "amy", "abe", "max", "ann"):
        create(emulator_rest, uid)
    page = emulator_rest.get("/users", params={"perPage": 2, "page": 2}).json()
    assert [u["uid"] for u in page["data"]] == ["abe", "max"]
    assert page["meta"]["pagination"] == {
        "total": 5,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 3,
    }
    found = emulator_rest.get("/users", params={"searchKey": "A"}).json()["data"]
    assert [u["uid"] for u in found] == ["amy", "abe", "ann"]


@pytest.mark.parametrize("params", [{"perPage": "1001"}, {"perPage": "0"}, {"page": "x"}])
def test_bad_paging_is_400(emulator_rest: httpx.Client, params: dict[str, str]) -> None:
    assert emulator_rest.get("/users", params=params).status_code == 400


def test_keys_missing_wrong_and_auth_only(emulator_url: str) -> None:
    base = f"{emulator_url}/v3"
    missing = httpx.get(f"{base}/users")
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "AUTH_ERR_EMPTY_APIKEY")
    wrong = httpx.get(f"{base}/users", headers={"apikey": "nope"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "AUTH_ERR_APIKEY_NOT_FOUND")
    assert "nope" not in wrong.text
    # The SDK spells the header apiKey; HTTP headers are case-insensitive.
    auth = {"apiKey": AUTH_KEY}
    created = httpx.post(f"{base}/users", json={"uid": "kim", "name": "Kim"}, headers=auth)
    assert created.status_code == 200
    token = httpx.post(f"{base}/users/kim/auth_tokens", json={}, headers=auth)
    assert token.status_code == 200
    for method, path in [
        ("GET", "/users"),
        ("GET", "/users/kim"),
        ("PUT", "/users/kim"),
        ("DELETE", "/users/kim"),
        ("GET", "/users/kim/auth_tokens"),
        ("DELETE", "/users/kim/auth_tokens"),
    ]:
        answer = httpx.request(method, f"{base}{path}", headers=auth, json={})
        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"]["code"] == "AUTH_ERR_NO_ACCESS"
        assert AUTH_KEY not in answer.text


def test_v3_0_prefix_and_host_appid(emulator_url: str, emulator_config: EmulatorConfig) -> None:
    keys = emulator_config.apps[0]
    headers = {"apikey": keys.rest_api_key}
    httpx.post(f"{emulator_url}/v3.0/users", json={"uid": "lu", "name": "Lu"}, headers=headers)
    assert httpx.get(f"{emulator_url}/v3/users/lu", headers=headers).status_code == 200
    by_host = {**headers, "host": f"{keys.app_id}.api-us.cometchat.io"}
    assert httpx.get(f"{emulator_url}/v3/users/lu", headers=by_host).status_code == 200
    other_host = {**headers, "host": "otherapp.api-us.cometchat.io"}
    answer = httpx.get(f"{emulator_url}/v3/users/lu", headers=other_host)
    assert answer.json()["error"]["code"] == "AUTH_ERR_INVALID_APPID"


def test_v2_0_selects_the_app_by_header(emulator_url: str, emulator_config: EmulatorConfig) -> None:
    keys = emulator_config.apps[0]
    base = f"{emulator_url}/v2.0"
    no_app = httpx.get(f"{base}/users", headers={"apikey": keys.rest_api_key})
    assert no_app.json()["error"]["code"] == "AUTH_ERR_EMPTY_APPID"
    bad_app = httpx.get(f"{base}/users", headers={"apikey": keys.rest_api_key, "appId": "zzz"})
    assert bad_app.json()["error"]["code"] == "AUTH_ERR_INVALID_APPID"
    headers = {"apikey": keys.rest_api_key, "appId": keys.app_id}
    created = httpx.post(f"{base}/users", json={"uid": "vee", "name": "Vee"}, headers=headers)
    assert created.status_code == 200
    assert httpx.get(f"{base}/users/vee", headers=headers).json()["data"]["uid"] == "vee"


def uids_of(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [user["uid"] for user in answer.json()["data"]]


def test_list_filters_by_tags_and_shows_tags_only_when_asked(emulator_rest: httpx.Client) -> None:
    create(emulator_rest, "tia", tags=["red", "blue"])
    create(emulator_rest, "tom", tags=["green"])
    create(emulator_rest, "ted")
    listed = emulator_rest.get("/users").json()["data"]
    assert all("tags" not in user for user in listed)
    with_tags = emulator_rest.get("/users", params={"withTags": "true"}).json()["data"]
    assert {user["uid"]: user.get("tags") for user in with_tags} == {
        "tia": ["red", "blue"],
        "tom": ["green"],
        "ted": None,
    }
    # Comma-separated, as the SDK sends it, or repeated: users with any of them.
    assert uids_of(emulator_rest.get("/users", params={"tags": "blue,green"})) == ["tia", "tom"]
    assert uids_of(emulator_rest.get("/users", params=[("tags", "red"), ("tags", "x")])) == ["tia"]
    assert uids_of(emulator_rest.get("/users", params={"tags": "none"})) == []


def test_list_filters_by_status(emulator_rest: httpx.Client, emulator_url: str) -> None:
    token = create(emulator_rest, "sue", withAuthToken=True).json()["data"]["authToken"]
    create(emulator_rest, "sam")
    assert uids_of(emulator_rest.get("/users", params={"status": "available"})) == []
    # The SDK's PUT /me opens a session: the user is available until DELETE /me.
    httpx.put(f"{emulator_url}/v3.0/me", headers={"authToken": token}, json={})
    assert uids_of(emulator_rest.get("/users", params={"status": "available"})) == ["sue"]
    assert uids_of(emulator_rest.get("/users", params={"status": "online"})) == ["sue"]
    assert uids_of(emulator_rest.get("/users", params={"status": "offline"})) == ["sam"]
    assert emulator_rest.get("/users/sue").json()["data"]["status"] == "available"
    httpx.delete(f"{emulator_url}/v3.0/me", headers={"authToken": token})
    assert uids_of(emulator_rest.get("/users", params={"status": "available"})) == []
    bad = emulator_rest.get("/users", params={"status": "busy"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "ERR_BAD_REQUEST")


def test_bulk_deactivate_and_reactivate(emulator_rest: httpx.Client) -> None:
    for uid in ("ula", "uma", "una"):
        create(emulator_rest, uid)
    gone = emulator_rest.request("DELETE", "/users", json={"uidsToDeactivate": ["ULA", "uma", "x"]})
    assert gone.json() == {"data": {"deactivatedUids": ["ula", "uma"]}}
    assert uids_of(emulator_rest.get("/users")) == ["una"]
    assert emulator_rest.get("/users/ula").json()["error"]["code"] == "ERR_UID_NOT_FOUND"
    back = emulator_rest.put("/users", json={"uidsToActivate": ["ula", "una"]})
    assert back.json() == {"data": {"nonDeactivatedUids": ["ula"]}}
    assert uids_of(emulator_rest.get("/users")) == ["ula", "una"]
    bodies: list[dict[str, object]] = [{}, {"uidsToDeactivate": []}, {"uidsToDeactivate": "ula"}]
    for bad in bodies:
        answer = emulator_rest.request("DELETE", "/users", json=bad)
        assert answer.status_code == 400
        assert list(answer.json()["error"]["details"]) == ["uidsToDeactivate"]
