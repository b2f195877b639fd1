"""Bring your own identity over real HTTP: a local OpenID provider, the server, the emulator."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import jwt
import pytest

from cometchat_auth.identity import cometchat_uid
from tests.integration.test_schemathesis import check_operation, documented_operations
from tests.support.auth_server import register
from tests.support.emulator_view import emulator_user, token_works
from tests.support.oidc import AUDIENCE, Provider, new_key, oidc_provider
from tests.support.waiting import eventually

Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def provider() -> Iterator[Provider]:
    with oidc_provider() as served:
        yield served


@pytest.fixture
def identity_server(make_server: Server, provider: Provider) -> Callable[..., Any]:
    """The auth server trusting ``provider``; keyword arguments override its settings."""

    def start(**overrides: Any) -> AbstractContextManager[str]:
        values: dict[str, Any] = {
            "oidc_issuer": provider.issuer,
            "jwt_audience": AUDIENCE,
            "accounts": False,
            "jwks_refetch_interval": 0.2,
        }
        values.update(overrides)
        return make_server(**values)

    return start


@pytest.fixture
def client(identity_server: Callable[..., AbstractContextManager[str]]) -> Iterator[httpx.Client]:
    with identity_server() as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def exchange(client: httpx.Client, id_token: str, **body: Any) -> httpx.Response:
    return client.post("/cometchat/exchange", json={"idToken": id_token, **body})


def exchanged(client: httpx.Client, id_token: str, **body: Any) -> dict[str, Any]:
    answer = exchange(client, id_token, **body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    result: dict[str, Any] = answer.json()
    return result


def back_channel_logout(client: httpx.Client, logout_token: str) -> httpx.Response:
    return client.post("/oidc/backchannel-logout", data={"logout_token": logout_token})


def test_exchange_creates_the_user_and_hands_a_token_that_logs_in(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    body = exchanged(client, provider.id_token("auth0|ann", name="Ann Example"))
    uid = cometchat_uid("auth0|ann")
    assert body["cometchat"] == {"appId": "testapp", "region": "us", "uid": uid, "status": "ready"}
    assert isinstance(body["chatSession"], str)
    assert body["expiresIn"] > 0
    # The token is what the SDK's CometChat.login(authToken) sends to PUT /v3.0/me.
    assert token_works(emulator_url, body["authToken"])
    me = httpx.put(f"{emulator_url}/v3.0/me", headers={"authToken": body["authToken"]}, json={})
    assert me.json()["data"]["uid"] == uid
    assert (emulator_user(emulator_url, uid) or {})["name"] == "Ann Example"


def test_the_same_provider_session_reuses_its_token(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    first = exchanged(client, provider.id_token("ann", sid="sid-a"))
    again = exchanged(client, provider.id_token("ann", sid="sid-a"))
    assert again["authToken"] == first["authToken"]
    assert again["chatSession"] == first["chatSession"]
    other = exchanged(client, provider.id_token("ann", sid="sid-b"))
    assert other["authToken"] != first["authToken"]
    # Without a provider session, the client's device value keys the chat session.
    phone = exchanged(client, provider.id_token("ann", sid=None), device="phone")
    assert exchanged(client, provider.id_token("ann", sid=None), device="phone") == phone
    laptop = exchanged(client, provider.id_token("ann", sid=None), device="laptop")
    assert laptop["authToken"] != phone["authToken"]
    for token in (first, other, phone, laptop):
        assert token_works(emulator_url, token["authToken"])


def test_name_and_avatar_changes_reach_cometchat(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    exchanged(client, provider.id_token("ann", name="Ann"))
    picture = "https://cdn.example/ann.png"
    exchanged(client, provider.id_token("ann", name="Ann B.", picture=picture))
    eventually(lambda: (emulator_user(emulator_url, "ann") or {}).get("name") == "Ann B.")
    assert (emulator_user(emulator_url, "ann") or {}).get("avatar") == picture
    # The same profile again queues nothing: CometChat keeps what it was sent.
    exchanged(client, provider.id_token("ann", name="Ann B.", picture=picture))
    assert (emulator_user(emulator_url, "ann") or {}).get("name") == "Ann B."


def test_ending_a_chat_session_deletes_its_token(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    id_token = provider.id_token("ann", sid="sid-end")
    kept = exchanged(client, provider.id_token("ann", sid="sid-kept"))
    body = exchanged(client, id_token)
    answer = client.post("/cometchat/exchange/end", json={"idToken": id_token})
    assert answer.status_code == 204, answer.text
    eventually(lambda: not token_works(emulator_url, body["authToken"]))
    assert token_works(emulator_url, kept["authToken"])
    # An ended chat session never restarts: the same provider session gets no new token.
    again = exchange(client, provider.id_token("ann", sid="sid-end"))
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "CHAT_SESSION_ENDED"


def test_back_channel_logout_by_sid_kills_that_token(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    doomed = exchanged(client, provider.id_token("ann", sid="sid-1"))
    kept = exchanged(client, provider.id_token("ann", sid="sid-2"))
    logout_token = provider.logout_token(sid="sid-1", sub="ann")
    answer = back_channel_logout(client, logout_token)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    eventually(lambda: not token_works(emulator_url, doomed["authToken"]))
    uid_tokens = (emulator_user(emulator_url, "ann") or {}).get("authTokens", [])
    assert doomed["authToken"] not in json.dumps(uid_tokens)
    assert token_works(emulator_url, kept["authToken"])
    # The same logout token again is a replay, refused as the spec says.
    replayed = back_channel_logout(client, logout_token)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_request"
    assert replayed.headers["cache-control"] == "no-store"


def test_back_channel_logout_by_sub_ends_every_chat_session_of_the_user(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    tokens = [exchanged(client, provider.id_token("ann", sid=f"s{n}")) for n in range(3)]
    bob = exchanged(client, provider.id_token("bob"))
    assert back_channel_logout(client, provider.logout_token(sub="ann")).status_code == 200
    gone = [body["authToken"] for body in tokens]
    eventually(lambda: not any(token_works(emulator_url, token) for token in gone))
    assert token_works(emulator_url, bob["authToken"])


def test_bad_logout_requests_answer_400_as_the_spec_says(
    client: httpx.Client, provider: Provider
) -> None:
    now = int(time.time())
    cases = {
        "no token": {},
        "not a JWT": {"logout_token": "nonsense"},
        "no event": {"logout_token": provider.logout_token(sub="ann", events={"x": {}})},
        "a nonce": {"logout_token": provider.logout_token(sub="ann", nonce="n")},
        "no sid nor sub": {"logout_token": provider.logout_token()},
        "an old iat": {"logout_token": provider.logout_token(sub="ann", iat=now - 3600)},
        "another audience": {"logout_token": provider.logout_token(sub="a", aud="x")},
        "an ID token": {"logout_token": provider.id_token("ann")},
        "a foreign key": {"logout_token": provider.logout_token(sub="a", key=new_key("ec"))},
    }
    for case, form in cases.items():
        answer = client.post("/oidc/backchannel-logout", data=form)
        assert answer.status_code == 400, (case, answer.text)
        assert answer.json()["error"] == "invalid_request", case
        assert answer.headers["cache-control"] == "no-store"
    as_json = client.post("/oidc/backchannel-logout", json={"logout_token": "x"})
    assert as_json.status_code == 400


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_every_bad_id_token_is_a_401_with_its_own_code(
    client: httpx.Client, provider: Provider
) -> None:
    now = int(time.time())
    claims = provider.id_claims("ann")
    cases = {
        "ID_TOKEN_EXPIRED": provider.id_token(exp=now - 120, iat=now - 600),
        "ID_TOKEN_NOT_YET_VALID": provider.id_token(nbf=now + 600),
        "ID_TOKEN_AUDIENCE_INVALID": provider.id_token(aud="another-app"),
        "ID_TOKEN_ISSUER_INVALID": provider.id_token(iss="https://evil.example"),
        "ID_TOKEN_ALGORITHM_REFUSED": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
        "ID_TOKEN_KEY_UNKNOWN": provider.id_token(key=new_key("rsa")),
        "ID_TOKEN_TOO_LARGE": provider.id_token(padding="x" * 9000),
        "ID_TOKEN_MALFORMED": "not.a.jwt",
        "ID_TOKEN_WRONG_TYPE": provider.logout_token(sub="ann", exp=now + 60),
    }
    for code, token in cases.items():
        answer = exchange(client, token)
        assert answer.status_code == 401, (code, answer.text)
        assert answer.json()["error"]["code"] == code
        assert token not in answer.text
    # HS256 keyed with the public key is refused by name: no shared secret is set.
    forged = jwt_hs256(claims, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A...")
    assert exchange(client, forged).json()["error"]["code"] == "ID_TOKEN_ALGORITHM_REFUSED"


def jwt_hs256(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def test_key_rotation_over_http(client: httpx.Client, provider: Provider) -> None:
    exchanged(client, provider.id_token("ann"))
    fresh = provider.rotate("ed25519")
    time.sleep(0.3)
    body = exchanged(client, provider.id_token("ann", key=fresh))
    assert body["cometchat"]["uid"] == "ann"


def test_a_provider_that_is_down_is_503_with_retry_after(
    identity_server: Callable[..., AbstractContextManager[str]], provider: Provider
) -> None:
    provider.down = True
    with identity_server(jwks_refetch_interval=30) as url:
        answer = httpx.post(f"{url}/cometchat/exchange", json={"idToken": provider.id_token()})
        logout = httpx.post(
            f"{url}/oidc/backchannel-logout", data={"logout_token": provider.logout_token(sub="a")}
        )
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "IDENTITY_PROVIDER_UNAVAILABLE"
    assert 1 <= int(answer.headers["retry-after"]) <= 30
    # The provider may send the logout again later: a 503 says so, where a 400 would not.
    assert logout.status_code == 503
    assert logout.json()["error"] == "temporarily_unavailable"
    assert 1 <= int(logout.headers["retry-after"]) <= 30
    assert logout.headers["cache-control"] == "no-store"


def test_accounts_off_serves_the_exchange_alone(client: httpx.Client) -> None:
    for method, path in (("POST", "/auth/login"), ("POST", "/auth/register"), ("GET", "/")):
        assert client.request(method, path, json={}).status_code == 404, path
    paths = client.get("/openapi.json").json()["paths"]
    assert "/cometchat/exchange" in paths
    assert "/oidc/backchannel-logout" in paths
    assert not [path for path in paths if path.startswith("/auth/")]


def test_beside_accounts_both_doors_work(
    identity_server: Callable[..., AbstractContextManager[str]],
    provider: Provider,
    emulator_url: str,
) -> None:
    with (
        identity_server(accounts=True, uid_prefix="idp_") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        account = register(http)
        body = exchanged(http, provider.id_token(account["user"]["id"]))
        # A provider user whose sub equals an account's id still gets a uid of their own.
        assert body["cometchat"]["uid"] == "idp_" + account["user"]["id"]
        assert token_works(emulator_url, body["authToken"])
        assert token_works(emulator_url, account["authToken"])


def test_without_sid_a_new_sign_in_is_a_new_chat_session(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    signed_in = int(time.time()) - 60
    token = provider.id_token("fay", sid=None, auth_time=signed_in)
    first = exchanged(client, token, device="tablet")
    refreshed = provider.id_token("fay", sid=None, auth_time=signed_in)
    assert exchanged(client, refreshed, device="tablet")["authToken"] == first["authToken"]
    assert (
        client.post(
            "/cometchat/exchange/end", json={"idToken": refreshed, "device": "tablet"}
        ).status_code
        == 204
    )
    eventually(lambda: not token_works(emulator_url, first["authToken"]))
    later = provider.id_token("fay", sid=None, auth_time=signed_in + 30)
    assert token_works(emulator_url, exchanged(client, later, device="tablet")["authToken"])


def test_every_exchange_operation_answers_as_documented(client: httpx.Client) -> None:
    operations = documented_operations(str(client.base_url))
    paths = {"/cometchat/exchange", "/cometchat/exchange/end", "/oidc/backchannel-logout"}
    assert paths <= {operation.path for operation in operations}
    for operation in operations:
        if operation.path in paths:
            check_operation(operation)


def test_a_chat_session_ends_at_its_maximum_age(
    identity_server: Callable[..., AbstractContextManager[str]],
    provider: Provider,
    emulator_url: str,
) -> None:
    with (
        identity_server(session_max_age=2, session_sweep_interval=0.2) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        body = exchanged(http, provider.id_token("gus", sid="sid-old"))
        assert 1 <= body["expiresIn"] <= 2
        eventually(lambda: not token_works(emulator_url, body["authToken"]))
        again = exchange(http, provider.id_token("gus", sid="sid-old"))
        assert again.json()["error"]["code"] == "CHAT_SESSION_ENDED"


def test_a_name_that_could_spoof_another_is_not_sent_to_cometchat(
    client: httpx.Client, provider: Provider, emulator_url: str
) -> None:
    # A bidi override makes "Ann\u202egnp.exe" read as "Annexe.png" in chat: the uid stands in.
    exchanged(client, provider.id_token("hal", name="Ann\u202egnp.exe"))
    assert (emulator_user(emulator_url, "hal") or {}).get("name") == "hal"
