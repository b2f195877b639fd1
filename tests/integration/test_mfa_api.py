"""The second factor over HTTP: enrol, the mfaToken step, replays, recovery codes, lock-out,
turning it off; and no session or CometChat token before the code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from sqlalchemy import update

from cometchat_auth.accounts.mfa_tokens import MfaTokenRow
from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import open_database
from cometchat_auth.store.models import utcnow
from tests.support.auth_server import PASSWORD, bearer, register
from tests.support.emulator_view import emulator_user, token_works
from tests.support.smtp import link_in, smtp_server

NEW_PASSWORD = "a brand new passphrase"
Server = Callable[..., AbstractContextManager[str]]
#: Generous request limits: these tests are about codes, not the rate limits.
ROOMY = {"rate_limit_login_ip": "1000/minute", "rate_limit_login_account": "1000/minute"}


@pytest.fixture
def http(make_server: Server) -> Iterator[httpx.Client]:
    with (
        make_server(**ROOMY, lockout_base_delay=600) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def code(app: pyotp.TOTP, steps_ahead: int = 0) -> str:
    """The app's code now, or of a step ahead (within the one step of drift allowed)."""
    return app.at(time.time() + 30 * steps_ahead)


def error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def enrolled(http: httpx.Client) -> tuple[dict[str, Any], pyotp.TOTP, list[str]]:
    """A new account with an authenticator app set up: its register answer, app and codes."""
    account = register(http)
    started = http.post("/auth/mfa/totp", headers=bearer(account))
    assert started.status_code == 201, started.text
    app = pyotp.TOTP(started.json()["secret"])
    confirmed = http.post(
        "/auth/mfa/totp/confirm", json={"code": code(app)}, headers=bearer(account)
    )
    assert confirmed.status_code == 200, confirmed.text
    return account, app, confirmed.json()["recoveryCodes"]


def password_step(http: httpx.Client, account: dict[str, Any]) -> str:
    answer = http.post(
        "/auth/login", json={"email": account["user"]["email"], "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json().keys() == {"mfaRequired", "mfaToken"}
    assert answer.json()["mfaRequired"] is True
    token: str = answer.json()["mfaToken"]
    return token


def verify(http: httpx.Client, mfa_token: str, one: str) -> httpx.Response:
    return http.post("/auth/mfa/verify", json={"mfaToken": mfa_token, "code": one})


def test_enrol_then_sign_in_with_a_code(http: httpx.Client, emulator_url: str) -> None:
    account = register(http)
    uid = account["user"]["id"]
    early = http.post("/auth/mfa/totp/confirm", json={"code": "123456"}, headers=bearer(account))
    assert error(early) == (409, "MFA_NOT_ENABLED")  # nothing set up to confirm
    assert http.get("/auth/mfa", headers=bearer(account)).json() == {
        "totp": False,
        "recoveryCodesLeft": 0,
    }
    started = http.post("/auth/mfa/totp", headers=bearer(account)).json()
    assert started["otpauthUri"].startswith("otpauth://totp/")
    assert "issuer=" in started["otpauthUri"]
    assert started["qrSvg"].startswith("<svg")
    app = pyotp.TOTP(started["secret"])
    # Not counted before it is confirmed: the password alone still signs in.
    wrong = http.post("/auth/mfa/totp/confirm", json={"code": "12345a"}, headers=bearer(account))
    assert error(wrong) == (401, "MFA_CODE_INVALID")
    confirmed = http.post(
        "/auth/mfa/totp/confirm", json={"code": code(app)}, headers=bearer(account)
    )
    codes = confirmed.json()["recoveryCodes"]
    assert len(set(codes)) == 10
    assert http.get("/auth/mfa", headers=bearer(account)).json() == {
        "totp": True,
        "recoveryCodesLeft": 10,
    }
    again = http.post("/auth/mfa/totp", headers=bearer(account))
    assert error(again) == (409, "MFA_ALREADY_ENABLED")

    tokens_before = len(emulator_user(emulator_url, uid)["authTokens"])  # type: ignore[index]
    mfa_token = password_step(http, account)
    # No session and no CometChat token before the code.
    assert len(emulator_user(emulator_url, uid)["authTokens"]) == tokens_before  # type: ignore[index]
    assert http.get("/auth/me", headers={"Authorization": f"Bearer {mfa_token}"}).status_code == 401

    wrong_code = "000000" if code(app, 1) != "000000" else "111111"
    assert error(verify(http, mfa_token, wrong_code)) == (401, "MFA_CODE_INVALID")
    signed_in = verify(http, mfa_token, code(app, 1))
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert body["user"]["id"] == uid
    assert token_works(emulator_url, body["authToken"])
    assert http.get("/auth/me", headers=bearer(body)).status_code == 200

    # The mfaToken is single-use, and the code's time step is spent.
    assert error(verify(http, mfa_token, code(app, 1))) == (401, "MFA_TOKEN_INVALID")
    replayed = verify(http, password_step(http, account), code(app, 1))
    assert error(replayed) == (401, "MFA_CODE_INVALID")


def test_a_recovery_code_works_once(http: httpx.Client, emulator_url: str) -> None:
    account, _, codes = enrolled(http)
    first = verify(http, password_step(http, account), codes[0])
    assert first.status_code == 200, first.text
    assert token_works(emulator_url, first.json()["authToken"])
    second = verify(http, password_step(http, account), codes[0])
    assert error(second) == (401, "MFA_CODE_INVALID")
    assert http.get("/auth/mfa", headers=bearer(first.json())).json()["recoveryCodesLeft"] == 9


def test_wrong_codes_lock_the_second_step(http: httpx.Client) -> None:
    account, app, codes = enrolled(http)
    mfa_token = password_step(http, account)
    for _ in range(5):  # the lock-out threshold
        assert error(verify(http, mfa_token, "aaaaa-aaaaa")) == (401, "MFA_CODE_INVALID")
    # Locked: the right code is refused too, and a new password step does not unlock it.
    assert error(verify(http, mfa_token, code(app, 1))) == (401, "MFA_CODE_INVALID")
    assert error(verify(http, password_step(http, account), codes[0])) == (
        401,
        "MFA_CODE_INVALID",
    )
    # Refused while locked, the recovery code was not spent.
    assert http.get("/auth/mfa", headers=bearer(account)).json()["recoveryCodesLeft"] == 10


def test_an_expired_mfa_token_is_refused(http: httpx.Client, database_url: str) -> None:
    account, app, _ = enrolled(http)
    mfa_token = password_step(http, account)

    async def expire() -> None:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            await db.execute(
                update(MfaTokenRow)
                .where(MfaTokenRow.token_hash == hash_token(mfa_token))
                .values(expires_at=utcnow())
            )
            await db.commit()

    asyncio.run(expire())
    assert error(verify(http, mfa_token, code(app, 1))) == (401, "MFA_TOKEN_INVALID")
    unknown = verify(http, "not-a-token", code(app, 1))
    assert error(unknown) == (401, "MFA_TOKEN_INVALID")


def test_turning_it_off_needs_the_password_and_a_code(http: httpx.Client) -> None:
    account, app, _ = enrolled(http)
    headers = bearer(account)
    off = "/auth/mfa/totp"
    wrong_password = http.request(
        "DELETE", off, json={"password": "not it at all", "code": code(app, 1)}, headers=headers
    )
    assert error(wrong_password) == (401, "INVALID_CREDENTIALS")
    wrong_code = http.request(
        "DELETE", off, json={"password": PASSWORD, "code": "aaaaa-aaaaa"}, headers=headers
    )
    assert error(wrong_code) == (401, "MFA_CODE_INVALID")
    done = http.request(
        "DELETE", off, json={"password": PASSWORD, "code": code(app, 1)}, headers=headers
    )
    assert done.status_code == 204, done.text
    login = http.post("/auth/login", json={"email": account["user"]["email"], "password": PASSWORD})
    assert login.status_code == 200
    assert "authToken" in login.json()
    gone = http.request(
        "DELETE", off, json={"password": PASSWORD, "code": code(app)}, headers=headers
    )
    assert error(gone) == (409, "MFA_NOT_ENABLED")


def test_new_recovery_codes_replace_the_old_ones(http: httpx.Client) -> None:
    account, app, old = enrolled(http)
    headers = bearer(account)
    renew = "/auth/mfa/recovery-codes"
    wrong_password = http.post(
        renew, json={"password": "not it at all", "code": code(app, 1)}, headers=headers
    )
    assert error(wrong_password) == (401, "INVALID_CREDENTIALS")
    wrong_code = http.post(
        renew, json={"password": PASSWORD, "code": "aaaaa-aaaaa"}, headers=headers
    )
    assert error(wrong_code) == (401, "MFA_CODE_INVALID")
    done = http.post(renew, json={"password": PASSWORD, "code": old[0]}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    new = done.json()["recoveryCodes"]
    assert len(set(new)) == 10
    assert set(new).isdisjoint(old)
    assert http.get("/auth/mfa", headers=headers).json()["recoveryCodesLeft"] == 10
    # The old codes stopped working; the new ones sign in.
    assert error(verify(http, password_step(http, account), old[1])) == (401, "MFA_CODE_INVALID")
    assert verify(http, password_step(http, account), new[0]).status_code == 200
    without = register(http)
    none = http.post(renew, json={"password": PASSWORD, "code": "123456"}, headers=bearer(without))
    assert error(none) == (409, "MFA_NOT_ENABLED")


def test_codes_are_rate_limited(make_server: Server) -> None:
    with (
        make_server(rate_limit_login_account="4/minute") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        account, _, _ = enrolled(http)  # the confirming code counts: 1
        mfa_token = password_step(http, account)  # so does the password: 2
        answers = [verify(http, mfa_token, "aaaaa-aaaaa") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_a_password_reset_keeps_the_factor(make_server: Server) -> None:
    with (
        smtp_server() as (inbox, port),
        make_server(**ROOMY, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        account, app, _ = enrolled(http)
        email = account["user"]["email"]
        assert http.post("/auth/password/forgot", json={"email": email}).status_code == 202
        link = link_in(inbox.wait_for(1)[0], "/reset")
        token = parse_qs(urlsplit(link).query)["token"][0]
        reset = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert reset.status_code in (200, 204), reset.text
        answer = http.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
        assert answer.json()["mfaRequired"] is True
        assert verify(http, answer.json()["mfaToken"], code(app, 1)).status_code == 200
