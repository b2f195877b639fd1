"""The CometChat client against the emulator over real HTTP: every operation and every error."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from cometchat_auth.cometchat import (
    AuthTokenNotFound,
    BadRequest,
    CometChatClient,
    CometChatError,
    InvalidUid,
    NoAccess,
    RoleNotFound,
    Unauthorized,
    UserAlreadyExists,
    UserNotFound,
)
from cometchat_auth.emulator import EmulatorConfig


def new_uid(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def client(
    emulator_config: EmulatorConfig, emulator_url: str
) -> AsyncIterator[CometChatClient]:
    keys = emulator_config.apps[0]
    async with CometChatClient(
        keys.app_id, keys.rest_api_key, base_url=f"{emulator_url}/v3", deadline=5.0
    ) as client:
        yield client


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in repr(error)
        if isinstance(error, CometChatError):
            assert secret not in (error.dev_message or "")
            assert secret not in str(error.details)


async def test_a_user_is_created_read_updated_and_deleted(client: CometChatClient) -> None:
    uid = new_uid("Alice")  # upper case is allowed in, lower case comes back
    created = await client.create_user(
        uid,
        "Alice",
        avatar="https://example.com/a.png",
        link="https://example.com/alice",
        status_message="hi",
        metadata={"@private": {"email": "alice@example.com"}},
        tags=["staff"],
    )
    assert created.uid == uid.lower()
    assert created.name == "Alice"
    assert created.tags == ("staff",)
    assert created.auth_token is None

    fetched = await client.get_user(uid)
    assert fetched.uid == uid.lower()
    assert fetched.avatar == "https://example.com/a.png"
    assert fetched.status_message == "hi"

    updated = await client.update_user(
        uid, name="Alice B", tags=["staff", "admin"], unset=["avatar"]
    )
    assert updated.name == "Alice B"
    assert updated.tags == ("staff", "admin")
    assert updated.avatar is None
    assert (await client.get_user(uid)).name == "Alice B"

    await client.delete_user(uid)
    with pytest.raises(UserNotFound):
        await client.get_user(uid)


async def test_a_user_created_with_a_token_can_use_it(client: CometChatClient) -> None:
    uid = new_uid()
    user = await client.create_user(uid, "Bob", with_auth_token=True)
    assert user.auth_token
    token = await client.get_auth_token(uid, user.auth_token)
    assert token.uid == uid


async def test_deactivated_users_are_listed_only_when_asked(client: CometChatClient) -> None:
    prefix = new_uid("deact")
    kept, gone, erased = f"{prefix}-kept", f"{prefix}-gone", f"{prefix}-erased"
    for uid in (kept, gone, erased):
        await client.create_user(uid, uid)
    await client.delete_user(gone)
    await client.delete_user(erased, permanent=True)

    active = {user.uid async for user in client.list_users(search_key=prefix)}
    every = {user.uid async for user in client.list_users(search_key=prefix, with_deactivated=True)}
    only = {user.uid async for user in client.list_users(search_key=prefix, only_deactivated=True)}
    assert active == {kept}
    assert every == {kept, gone}
    assert only == {gone}


async def test_users_are_deactivated_and_reactivated_in_bulk(client: CometChatClient) -> None:
    prefix = new_uid("bulk")
    uids = [f"{prefix}-{n}" for n in range(3)]
    for uid in uids:
        await client.create_user(uid, uid)
    assert await client.deactivate_users([uids[0], uids[1].upper()]) == uids[:2]
    assert [user.uid async for user in client.list_users(search_key=prefix)] == uids[2:]
    with pytest.raises(UserNotFound):
        await client.get_user(uids[0])
    assert await client.reactivate_users(uids) == uids[:2]
    assert [user.uid async for user in client.list_users(search_key=prefix)] == uids


async def test_users_are_filtered_by_tags_and_role(client: CometChatClient) -> None:
    prefix = new_uid("tags")
    await client.create_user(f"{prefix}-a", "A", tags=["red"])
    await client.create_user(f"{prefix}-b", "B", tags=["blue"])
    await client.create_user(f"{prefix}-c", "C")
    red_or_blue = client.list_users(search_key=prefix, tags=["red", "blue"], with_tags=True)
    assert {user.uid: user.tags async for user in red_or_blue} == {
        f"{prefix}-a": ("red",),
        f"{prefix}-b": ("blue",),
    }
    untagged = [user.tags async for user in client.list_users(search_key=prefix)]
    assert untagged == [(), (), ()]
    by_role = client.list_users(search_key=prefix, roles=["default"], status="offline")
    assert len([user async for user in by_role]) == 3
    assert [user async for user in client.list_users(search_key=prefix, role="nobody")] == []


async def test_roles_are_created_read_and_listed(client: CometChatClient) -> None:
    made = await client.create_role("Moderator", "Moderator", description="Keeps order")
    assert (made.role, made.name, made.description) == ("moderator", "Moderator", "Keeps order")
    assert isinstance(made.created_at, int)
    assert await client.get_role("moderator") == made
    assert [role.role async for role in client.list_roles(per_page=1)] == ["default", "moderator"]
    uid = new_uid()
    assert (await client.create_user(uid, "Mo", role="moderator")).role == "moderator"
    with pytest.raises(RoleNotFound):
        await client.get_role("nobody")


async def test_a_role_the_app_lacks_raises_role_not_found(client: CometChatClient) -> None:
    uid = new_uid()
    with pytest.raises(RoleNotFound) as caught:
        await client.create_user(uid, "Rex", role="captain")
    assert isinstance(caught.value, BadRequest)  # the caller's to fix, like any bad field
    assert caught.value.code == "ERR_ROLE_NOT_FOUND"
    with pytest.raises(UserNotFound):
        await client.get_user(uid)


async def test_users_are_listed_across_several_pages(client: CometChatClient) -> None:
    prefix = new_uid("page")
    uids = {f"{prefix}-{n}" for n in range(5)}
    for uid in uids:
        await client.create_user(uid, uid)
    listed = [user.uid async for user in client.list_users(search_key=prefix, per_page=2)]
    assert sorted(listed) == sorted(uids)


async def test_tokens_are_minted_listed_fetched_deleted_and_flushed(
    client: CometChatClient,
) -> None:
    uid = new_uid()
    await client.create_user(uid, "Carol")
    first = await client.create_auth_token(uid)
    second = await client.create_auth_token(uid, force=True)
    assert first.uid == uid
    assert first.auth_token != second.auth_token
    assert first.auth_token not in repr(first)

    listed = {token.auth_token async for token in client.list_auth_tokens(uid, per_page=1)}
    assert listed == {first.auth_token, second.auth_token}
    assert (await client.get_auth_token(uid, second.auth_token)).auth_token == second.auth_token

    await client.delete_auth_token(uid, first.auth_token)
    with pytest.raises(AuthTokenNotFound) as caught:
        await client.get_auth_token(uid, first.auth_token)
    assert_no_secret(caught.value, first.auth_token)

    await client.flush_auth_tokens(uid)
    with pytest.raises(AuthTokenNotFound):
        await client.get_auth_token(uid, second.auth_token)
    assert [token async for token in client.list_auth_tokens(uid)] == []


async def test_tokens_are_minted_with_force_so_none_is_shared(client: CometChatClient) -> None:
    # The emulator answers a create without `force: true` with the newest token it has.
    uid = new_uid()
    await client.create_user(uid, "Frank")
    minted = [(await client.create_auth_token(uid)).auth_token for _ in range(3)]
    assert len(set(minted)) == 3
    shared = await client.create_auth_token(uid, force=False)
    assert shared.auth_token == minted[-1]


async def test_a_token_records_where_it_is_used(client: CometChatClient) -> None:
    uid = new_uid()
    await client.create_user(uid, "Gail")
    minted = await client.create_auth_token(uid)
    updated = await client.update_auth_token(
        uid, minted.auth_token, platform="WEB", user_agent="Firefox/120", app_info={"v": "1"}
    )
    assert updated.auth_token == minted.auth_token
    used = await client.get_auth_token(uid, minted.auth_token)
    assert (used.platform, used.user_agent, used.app_info) == (
        "WEB",
        "Firefox/120",
        {"v": "1"},
    )
    listed = [token async for token in client.list_auth_tokens(uid)]
    assert listed == [used]
    with pytest.raises(ValueError, match="at least one"):
        await client.update_auth_token(uid, minted.auth_token)
    with pytest.raises(AuthTokenNotFound) as caught:
        await client.update_auth_token(uid, f"{uid}_0", platform="WEB")
    assert_no_secret(caught.value, f"{uid}_0")


async def test_only_the_newest_100_tokens_stay_valid(client: CometChatClient) -> None:
    uid = new_uid()
    await client.create_user(uid, "Dave")
    tokens = [(await client.create_auth_token(uid)).auth_token for _ in range(101)]
    with pytest.raises(AuthTokenNotFound):
        await client.get_auth_token(uid, tokens[0])
    assert (await client.get_auth_token(uid, tokens[1])).auth_token == tokens[1]
    listed = [token.auth_token async for token in client.list_auth_tokens(uid, per_page=30)]
    assert sorted(listed) == sorted(tokens[1:])


async def test_a_token_with_query_characters_is_quoted_not_cut(client: CometChatClient) -> None:
    uid = new_uid()
    await client.create_user(uid, "Eve")
    token = (await client.create_auth_token(uid)).auth_token
    # Unquoted, the server would read only the real token before '?' or '#' and find it.
    for odd in (f"{token}?page=1", f"{token}#frag", f"{token} x"):
        with pytest.raises(AuthTokenNotFound):
            await client.get_auth_token(uid, odd)
        with pytest.raises(AuthTokenNotFound):
            await client.delete_auth_token(uid, odd)
    assert (await client.get_auth_token(uid, token)).auth_token == token


async def test_logs_name_each_attempt_but_no_key_and_no_token(
    client: CometChatClient, emulator_config: EmulatorConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    uid = new_uid()
    await client.create_user(uid, "Olivia")
    token = (await client.create_auth_token(uid)).auth_token
    await client.get_auth_token(uid, token)
    await client.delete_auth_token(uid, token)
    ours = [r.getMessage() for r in caplog.records if r.name == "cometchat_auth.cometchat"]
    assert any(f"GET /users/{uid}/auth_tokens/*** -> 200 (attempt 1" in line for line in ours)
    assert token not in caplog.text
    assert emulator_config.apps[0].rest_api_key not in caplog.text


async def test_unknown_user_raises_user_not_found(client: CometChatClient) -> None:
    uid = new_uid("ghost")
    with pytest.raises(UserNotFound, match=uid):
        await client.get_user(uid)
    with pytest.raises(UserNotFound):
        await client.create_auth_token(uid)
    with pytest.raises(UserNotFound):
        await client.update_user(uid, name="Nobody")


async def test_a_duplicate_user_raises_user_already_exists(client: CometChatClient) -> None:
    uid = new_uid()
    await client.create_user(uid, "Frank")
    with pytest.raises(UserAlreadyExists) as caught:
        await client.create_user(uid.upper(), "Frank again")
    assert caught.value.code == "ERR_UID_ALREADY_EXISTS"


async def test_a_bad_request_carries_the_details_per_field(client: CometChatClient) -> None:
    with pytest.raises(BadRequest) as caught:
        await client.create_user(new_uid(), "x" * 101, tags=["t"] * 26)
    assert caught.value.code == "ERR_BAD_REQUEST"
    assert set(caught.value.details) == {"name", "tags"}
    assert all(caught.value.details.values())


async def test_a_bad_uid_is_refused_before_any_request() -> None:
    # Nothing can answer on this client: an InvalidUid proves no request was tried.
    async with CometChatClient("testapp", "k", base_url="http://127.0.0.1:9/v3") as client:
        for call in (
            client.get_user("has space"),
            client.create_user("", "Empty"),
            client.delete_user("x" * 101),
            client.create_auth_token("dot.ted"),
            client.get_auth_token("ä", "token"),
        ):
            with pytest.raises(InvalidUid):
                await call


async def test_a_wrong_key_raises_unauthorized_without_quoting_it(
    emulator_config: EmulatorConfig, emulator_url: str
) -> None:
    wrong = "wrong-key-9876543210-secret"
    client = CometChatClient(emulator_config.apps[0].app_id, wrong, base_url=f"{emulator_url}/v3")
    async with client:
        with pytest.raises(Unauthorized) as caught:
            await client.get_user(new_uid())
    assert not isinstance(caught.value, NoAccess)
    assert_no_secret(caught.value, wrong)
    assert wrong not in repr(client)


async def test_the_auth_only_key_creates_but_has_no_access_to_the_rest(
    emulator_config: EmulatorConfig, emulator_url: str
) -> None:
    keys = emulator_config.apps[0]
    async with CometChatClient(keys.app_id, keys.auth_key, base_url=f"{emulator_url}/v3") as client:
        uid = new_uid()
        await client.create_user(uid, "Grace")
        token = await client.create_auth_token(uid)
        assert token.uid == uid
        with pytest.raises(NoAccess) as caught:
            await client.get_user(uid)
        assert caught.value.status == 403
        assert_no_secret(caught.value, keys.auth_key, keys.rest_api_key)
        with pytest.raises(NoAccess):
            await client.flush_auth_tokens(uid)


async def test_the_base_url_follows_the_region_and_the_key_is_in_no_repr() -> None:
    key = "rest-key-in-no-repr-0123456789"
    async with CometChatClient("testapp", key) as client:
        assert key not in repr(client)
        assert client.base_url == "https://testapp.api-us.cometchat.io/v3"
    async with CometChatClient("a", key, region="eu") as client:
        assert client.base_url == "https://a.api-eu.cometchat.io/v3"
